import ArgumentParser
import Foundation
import Glassbox

/// The machine's practical sgemm ceiling through OpenBLAS, the yardstick for the forward pass.
struct SgemmBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sgemm", abstract: "Measure the sgemm peak (GFLOP/s) through OpenBLAS.")

    @Option(help: "Worker threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Also time the bf16 product of --precision bf16 (the best kernel build this CPU runs) on Llama-8B-shaped products.")
    var bf16 = false
    @Option(help: "Also time the weight products of one relevance explanation of this model alone (forward and backward to the inputs of every linear map, nothing else): the floor under `relevance`.")
    var explanationModel: String?
    @Option(parsing: .upToNextOption, help: "Input lengths for --explanation-model.") var tokens: [Int] = [128, 1024]

    func validate() throws {
        guard threads > 0, !tokens.isEmpty, tokens.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--threads and --tokens must be positive")
        }
    }

    func run() throws {
        Threading.setThreads(threads)
        let peak = Self.peak()
        print(String(format: "sgemm peak: %.1f GFLOP/s (%d threads; best of square 1024 and GPT-2 MLP shapes)",
                     peak, threads))
        if bf16 { Self.timeBF16() }
        if let explanationModel {
            let arch = try TransformerModel.load(directory: URL(fileURLWithPath: explanationModel)).architecture
            for n in tokens {
                let seconds = ExplanationProducts.time(arch, rows: n, warmup: 2, repeats: 9)
                let flops = ExplanationProducts.flops(arch, rows: n)
                print(String(format: "explanation products, %d tokens: median %.3f s for %.1f GFLOP (%.1f GFLOP/s): forward and backward to the inputs of the %d blocks' linear maps, nothing else",
                             n, seconds, flops / 1e9, flops / seconds / 1e9, arch.layers))
            }
        }
    }

    /// GFLOP/s of `bf16Gemm` (C = A·Wᵀ, A [m, k], W [n, k]) on the 8B shapes' projections, with the
    /// best kernel build, next to sgemm on the same shape.
    static func timeBF16() {
        var rng = SystemRandomNumberGenerator()
        for (m, n, k) in [(128, 4096, 4096), (128, 14336, 4096), (128, 4096, 14336), (512, 14336, 4096), (4, 14336, 4096)] {
            let a = (0..<(m * k)).map { _ in UInt16.random(in: 0x3C00...0x3F80, using: &rng) }  // |x| in [2⁻⁷, 1]
            let w = (0..<(n * k)).map { _ in UInt16.random(in: 0x3C00...0x3F80, using: &rng) }
            var c = [Float](repeating: 0, count: m * n)
            let flops = 2 * Double(m * n * k)
            var line = String(format: "bf16 m %4d n %5d k %5d:", m, n, k)
            let variant = BF16KernelVariant.best                      // the portable build is scalar, far slower
            let bf16Times = Timing.measure(warmup: 1, repeats: max(3, Int(4e10 / flops))) {
                a.withUnsafeBufferPointer { ap in w.withUnsafeBufferPointer { wp in c.withUnsafeMutableBufferPointer { cp in
                    bf16Gemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, w: wp.baseAddress!, ldw: k,
                             c: cp.baseAddress!, ldc: n, beta: 0, variant: variant)
                } } }
            }
            line += String(format: " %@ %.1f GFLOP/s", variant.rawValue, flops / Timing.median(bf16Times) / 1e9)
            // The same product in Float32: W [n, k] as the weights lie, into the same preallocated C.
            let af = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            let wf = (0..<(n * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            let times = Timing.measure(warmup: 1, repeats: max(3, Int(2e10 / flops))) {
                af.withUnsafeBufferPointer { ap in wf.withUnsafeBufferPointer { wp in c.withUnsafeMutableBufferPointer { cp in
                    gemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: wp.baseAddress!, ldb: k, transposeB: true,
                         c: cp.baseAddress!, ldc: n)
                } } }
            }
            print(line + String(format: "; sgemm %.1f GFLOP/s", flops / Timing.median(times) / 1e9))
        }
    }

    /// Best GFLOP/s over a few large shapes (median of several runs each).
    static func peak() -> Double {
        var rng = SystemRandomNumberGenerator()
        let shapes = [(1024, 1024, 1024), (128, 768, 3072), (128, 3072, 768), (512, 768, 3072)]
        return shapes.map { (m, k, n) -> Double in
            let a = Tensor(shape: [m, k], storage: (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) })
            let b = Tensor(shape: [k, n], storage: (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &rng) })
            let repeats = max(5, Int(2e10 / Double(2 * m * n * k)))
            let times = Timing.measure(warmup: 2, repeats: repeats) { _ = matmul(a, b) }
            return 2 * Double(m * n * k) / Timing.median(times) / 1e9
        }.max() ?? 0
    }
}
