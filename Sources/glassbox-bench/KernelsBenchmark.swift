import ArgumentParser
import Foundation
import Glassbox

/// The elementwise and row kernels one by one, at the shapes a GPT-2-small forward gives them
/// (128 and 1024 tokens, d 768, 12 heads, d_ff 3072), and the half-precision conversions.
struct KernelsBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Time softmax, the activations, the norms and the F16/BF16 conversions one by one.",
        discussion: """
            Median milliseconds per call on random inputs. The conversions read a 16 Mi-element \
            tensor from a temporary safetensors file (page-cached after the warm-up) and write a \
            4 Mi-element one; the write includes the file I/O. --variant portable times the C \
            kernels' portable build instead of the one the CPU gets by default.
            """)

    @Option(help: "Worker threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Unrecorded warm-up runs.") var warmup = 3
    @Option(help: "Recorded runs.") var repeats = 21
    @Option(help: "wall (elapsed) or cpu (process CPU time, for 1-thread comparisons on a busy machine).")
    var clock: Clock = .wall
    @Option(help: "Kernel build: \(KernelVariant.allCases.map(\.rawValue).joined(separator: ", ")) (default: the CPU's best).")
    var variant: String?

    func validate() throws {
        guard repeats > 0, warmup >= 0, threads > 0 else {
            throw ValidationError("--repeats and --threads must be positive, --warmup ≥ 0")
        }
        if let variant {
            guard let chosen = KernelVariant(rawValue: variant) else {
                throw ValidationError("--variant must be one of \(KernelVariant.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard chosen.isSupported else { throw ValidationError("--variant \(variant) is not supported on this CPU") }
        }
    }

    func run() throws {
        let chosen = variant.flatMap(KernelVariant.init(rawValue:)) ?? KernelVariant.best
        try KernelVariant.using(chosen) { try measure(chosen) }
    }

    private func measure(_ chosen: KernelVariant) throws {
        Threading.setThreads(threads)
        print("machine    \(MachineDescription.summary); \(threads) threads; kernels \(chosen); \(clock) clock")
        var rng = SplitMix64(seed: 7)
        func random(_ shape: [Int], scale: Float) -> Tensor {
            let n = shape.reduce(1, *)
            return Tensor(shape: shape, storage: (0..<n).map { _ in
                scale * (Float(rng.next() >> 40) / Float(1 << 24) * 2 - 1)
            })
        }
        for n in [128, 1024] {
            let scores = random([12, n, n], scale: 8)
            time("softmax [12, \(n), \(n)]") { var x = scores; softmaxLastDim(&x) }
            let hidden = random([n, 3072], scale: 6)
            time("geluTanh [\(n), 3072]") { var x = hidden; geluTanh(&x) }
            time("geluErf [\(n), 3072]") { var x = hidden; geluErf(&x) }
            time("silu [\(n), 3072]") { var x = hidden; silu(&x) }
            let residual = random([n, 768], scale: 3)
            time("layerNormalize [\(n), 768]") { _ = layerNormalize(residual, eps: 1e-5) }
            time("rmsNormalize [\(n), 768]") { _ = rmsNormalize(residual, eps: 1e-5) }
            time("copy [\(n), 3072] (baseline)") { var x = hidden; x.withUnsafeMutableBufferPointer { $0[0] += 1 } }
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let big = random([4096, 4096], scale: 4)
        for dtype in [DType.f16, .bf16] {
            let url = folder.appendingPathComponent("\(dtype.rawValue).safetensors")
            try SafetensorsFile.write([("t", big)], dtype: dtype, to: url)
            let file = try SafetensorsFile(url: url)
            try timeThrowing("read \(dtype.rawValue) → f32 [4096, 4096]") { _ = try file.tensor("t") }
        }
        let small = Tensor(shape: [2048, 2048], storage: Array(big.storage.prefix(2048 * 2048)))
        for dtype in [DType.f16, .bf16] {
            let url = folder.appendingPathComponent("w-\(dtype.rawValue).safetensors")
            try timeThrowing("write f32 → \(dtype.rawValue) [2048, 2048]") {
                try SafetensorsFile.write([("t", small)], dtype: dtype, to: url)
            }
        }
    }

    private func time(_ what: String, _ body: () -> Void) {
        let times = Timing.measure(warmup: warmup, repeats: repeats, clock: clock, body)
        report(what, times)
    }

    private func timeThrowing(_ what: String, _ body: () throws -> Void) throws {
        let times = try Timing.measure(warmup: warmup, repeats: repeats, clock: clock, body)
        report(what, times)
    }

    private func report(_ what: String, _ times: [Double]) {
        let label = what.padding(toLength: 36, withPad: " ", startingAt: 0)
        print(label + String(format: " median %8.3f ms (min %8.3f)", Timing.median(times) * 1e3, times.min()! * 1e3))
    }
}
