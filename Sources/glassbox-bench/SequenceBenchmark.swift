import ArgumentParser
import Foundation
import Glassbox

/// Sequence attribution (`explain --generate`): every one of `--targets` tokens after a prompt
/// explained with all tokens before it, on the GPT-2-small-shaped model, next to LXT run once per
/// step (prefix + target, as an LXT user loops) at the same thread count, run by run alternately.
struct SequenceBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sequence",
        abstract: "Time the attribution of every token of a continuation and compare with LXT run once per step.",
        discussion: """
            The sequence is --prompt-tokens seeded random ids followed by --targets more (a forced \
            continuation: both sides explain the same ids). Glassbox runs SequenceAttribution.explain \
            (one forward of the whole sequence, one reverse sweep per target on its prefix); the \
            reference (scripts/bench/reference_sequence.py) runs, per target, LXT's quickstart on the \
            prefix (attnlrp: its default map patched in; grad-input: the unpatched model), projecting \
            only the last position (logits_to_keep 1). Both sides are loaded and warmed up, then run \
            alternately (one Glassbox run, then one reference run, --repeats rounds), so both see the \
            same machine load; medians and per-round ratios are printed with the load average.
            """)

    @Option(help: "The model folder.") var model = ".cache/bench/gpt2-small"
    @Option(help: "Prompt length.") var promptTokens = 128
    @Option(help: "Explained tokens after the prompt.") var targets = 32
    @Option(parsing: .upToNextOption, help: "Methods: attnlrp, grad-input.") var methods: [String] = ["grad-input", "attnlrp"]
    @Option(help: "Worker threads, for both Glassbox and PyTorch.") var threads = 2
    @Option(help: "Unrecorded warm-up runs (each side).") var warmup = 1
    @Option(help: "Recorded rounds (one run of each side per round).") var repeats = 3
    @Option(help: "Python with torch, transformers and lxt for the reference; 'none' skips it.")
    var python = ".venv-ref/bin/python"
    @Flag(help: .hidden) var child = false

    func validate() throws {
        guard methods.allSatisfy({ ["attnlrp", "grad-input"].contains($0) }) else {
            throw ValidationError("--methods takes attnlrp and grad-input (the reference's two loops)")
        }
        guard promptTokens > 0, targets > 0, repeats > 0, warmup >= 0, threads > 0 else {
            throw ValidationError("--prompt-tokens, --targets, --repeats and --threads must be positive, --warmup ≥ 0")
        }
    }

    /// The seeded ids both sides explain.
    func sequence(vocabulary: Int) -> [Int] {
        var rng = SplitMix64(seed: 0)
        return (0..<(promptTokens + targets)).map { _ in Int(rng.next() % UInt64(vocabulary)) }
    }

    func run() throws {
        if child { return try serveHere() }
        let vocabulary = try TransformerModel.load(directory: URL(fileURLWithPath: model)).architecture.vocabSize
        let ids = sequence(vocabulary: vocabulary)
        print("machine    \(MachineDescription.summary); \(threads) threads")
        print("model      \(model); prompt \(promptTokens) tokens + \(targets) targets; \(warmup) warm-up each + \(repeats) rounds (Glassbox, then LXT once per step)")
        for method in methods {
            print("before     \(method): \(MachineDescription.load)")
            let ours = try ServedProcess(executable: "/proc/self/exe",
                                         arguments: ["sequence", "--child", "--model", model, "--prompt-tokens", "\(promptTokens)",
                                                     "--targets", "\(targets)", "--methods", method, "--threads", "\(threads)",
                                                     "--warmup", "\(warmup)"])
            defer { ours.stop() }
            var reference: ServedProcess?
            if python != "none" {
                reference = try ServedProcess(executable: python,
                                              arguments: ["scripts/bench/reference_sequence.py", "--model", model,
                                                          "--ids", ids.map(String.init).joined(separator: ","),
                                                          "--prompt-tokens", "\(promptTokens)", "--method", method,
                                                          "--threads", "\(threads)", "--warmup", "\(warmup)", "--serve"],
                                              environment: AtManBenchmark.passiveOpenMP)
            }
            defer { reference?.stop() }
            var mine: [Double] = [], theirs: [Double] = [], mineCPU: [Double] = [], theirsCPU: [Double] = []
            for _ in 0..<repeats {
                let a = try ours.run()
                mine.append(a["s"] as? Double ?? .nan)
                mineCPU.append(a["cpu"] as? Double ?? .nan)
                if let reference {
                    let b = try reference.run()
                    theirs.append(b["s"] as? Double ?? .nan)
                    theirsCPU.append(b["cpu"] as? Double ?? .nan)
                }
            }
            _ = try ours.finish()
            print(String(format: "glassbox   %@: median %.3f s for %d targets (%@)", method, Timing.median(mine), targets, Self.list(mine)))
            if let reference {
                let summary = try reference.finish()
                print(String(format: "lxt/step   %@: median %.3f s (%@); torch %@, transformers %@, lxt %@", method, Timing.median(theirs),
                             Self.list(theirs), summary["torch"] as? String ?? "?", summary["transformers"] as? String ?? "?",
                             summary["lxt"] as? String ?? "?"))
                let perRound = zip(mine, theirs).map { $1 / $0 }
                print(String(format: "ratio      %@: reference / Glassbox median time %.2f×; median of per-round ratios %.2f× (%@)", method,
                             Timing.median(theirs) / Timing.median(mine), Timing.median(perRound), Self.list(perRound)))
                let cpuRounds = zip(mineCPU, theirsCPU).map { $1 / $0 }
                print(String(format: "cpu time   %@: Glassbox median %.3f s, reference %.3f s (all threads; other processes do not count): %.2f× (per round %@)",
                             method, Timing.median(mineCPU), Timing.median(theirsCPU), Timing.median(cpuRounds), Self.list(cpuRounds)))
            }
            print("after      \(method): \(MachineDescription.load)")
        }
    }

    private static func list(_ values: [Double]) -> String {
        values.map { String(format: "%.2f", $0) }.joined(separator: " ")
    }

    /// The child: load, warm up, then one timed sequence attribution per request.
    private func serveHere() throws {
        Threading.setThreads(threads)
        let loaded = try TransformerModel.load(directory: URL(fileURLWithPath: model))
        let ids = sequence(vocabulary: loaded.architecture.vocabSize)
        let method: RelevanceMethod = methods.first == "attnlrp" ? .attnLRP : .gradientTimesInput
        let options = SequenceOptions(method: .relevance(method))
        func once() throws -> [String: Double] {
            let (start, cpu) = (Clock.wall.now(), Clock.cpu.now())
            _ = try SequenceAttribution.explain(loaded, ids: ids, promptLength: promptTokens, options: options)
            return ["s": Double(Clock.wall.now() - start) / 1e9, "cpu": Double(Clock.cpu.now() - cpu) / 1e9]
        }
        for _ in 0..<warmup { _ = try once() }
        ServedProcess.emit(["ready": true])
        while let line = Swift.readLine(), line == "run" { ServedProcess.emit(try once()) }
        ServedProcess.emit(["done": true])
    }

}
