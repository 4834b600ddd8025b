import ArgumentParser
import Foundation
import Glassbox

/// The machine's practical sgemm ceiling through OpenBLAS, the yardstick for the forward pass.
struct SgemmBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sgemm", abstract: "Measure the sgemm peak (GFLOP/s) through OpenBLAS.")

    @Option(help: "Worker threads.") var threads = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        Threading.setThreads(threads)
        let peak = Self.peak()
        print(String(format: "sgemm peak: %.1f GFLOP/s (%d threads; best of square 1024 and GPT-2 MLP shapes)",
                     peak, threads))
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
