import ArgumentParser
import Foundation
import Glassbox

/// Loading a model folder into memory: the file mapping, the header checks and the conversion of
/// every tensor to Float32 (F16 and BF16 checkpoints go through the half-precision kernels).
struct LoadBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Time TransformerModel.load on a model folder (an F16 copy measures the half conversion).",
        discussion: """
            Each run loads the whole model again (the file stays in the page cache after the warm-up), \
            so the time is mapping, validation, the allocation of the Float32 weights and the \
            conversion. No reference: PyTorch keeps half weights as they are.
            """)

    @Option(help: "The model folder.") var model = ".cache/bench/gpt2-small"
    @Option(help: "Worker threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Unrecorded warm-up runs.") var warmup = 2
    @Option(help: "Recorded runs.") var repeats = 9
    @Option(help: "wall (elapsed) or cpu (process CPU time, for comparisons on a busy machine).")
    var clock: Clock = .wall

    func validate() throws {
        guard repeats > 0, warmup >= 0, threads > 0 else {
            throw ValidationError("--repeats and --threads must be positive, --warmup ≥ 0")
        }
    }

    func run() throws {
        Threading.setThreads(threads)
        let url = URL(fileURLWithPath: model)
        var parameters = 0
        let times = try Timing.measure(warmup: warmup, repeats: repeats, clock: clock) {
            let loaded = try TransformerModel.load(directory: url)
            parameters = loaded.architecture.layers
        }
        print("machine    \(MachineDescription.summary); \(threads) threads")
        print("model      \(model) (\(parameters) layers)")
        print(String(format: "load       median %.4f s (min %.4f, %d runs)", Timing.median(times), times.min()!, repeats)
              + (clock == .cpu ? "; process CPU time" : ""))
    }
}
