import ArgumentParser
import Foundation
import Glassbox

/// Greedy decoding with the KV cache (prefill of a prompt, then one decode step per new token) on a
/// GPT-2-small-shaped model, next to `transformers`' `generate` (use_cache=True) at the same thread
/// count: new tokens per second, and whether both decoded the same ids.
struct GenerateBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Time greedy decoding with the KV cache and compare it with transformers' generate.",
        discussion: """
            The default model is GPT-2-small-shaped with random weights, written by \
            scripts/bench/make_gpt2_small.py into .cache/bench/gpt2-small. One run is the prefill of a \
            seeded random prompt plus --new-tokens decode steps (no end-of-sequence stop); tokens/s is \
            new tokens ÷ the median run. The reference runs scripts/bench/reference_generate.py after \
            the Swift timing, never at the same time.
            """)

    @Option(help: "The model folder.") var model = ".cache/bench/gpt2-small"
    @Option(help: "Prompt length.") var promptTokens = 128
    @Option(help: "New tokens per run.") var newTokens = 128
    @Option(help: "Worker threads, for both Glassbox and PyTorch.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Unrecorded warm-up runs.") var warmup = 1
    @Option(help: "Recorded runs.") var repeats = 3
    @Option(help: "Python with torch and transformers for the reference; 'none' skips it.")
    var python = ".venv-ref/bin/python"

    func run() throws {
        Threading.setThreads(threads)
        let loaded = try TransformerModel.load(directory: URL(fileURLWithPath: model))
        let arch = loaded.architecture
        var rng = SplitMix64(seed: 0)
        let ids = (0..<promptTokens).map { _ in Int(rng.next() % UInt64(arch.vocabSize)) }
        let options = GenerationOptions(maxTokens: newTokens)
        var output: [Int] = []
        let times = try Timing.measure(warmup: warmup, repeats: repeats) {
            output = try Generation.run(model: loaded, prompt: ids, options: options).tokens.map(\.id)
        }
        let median = Timing.median(times)
        print("machine    \(MachineDescription.summary); \(threads) threads")
        print("model      \(model): \(arch.layers) layers, d \(arch.dModel), \(arch.heads) heads, vocab \(arch.vocabSize)")
        print("run        prompt \(promptTokens) tokens, then \(newTokens) greedy tokens; \(warmup) warm-up, \(repeats) recorded")
        print(String(format: "glassbox   median %.3f s (min %.3f) = %.1f tokens/s", median, times.min()!,
                     Double(newTokens) / median))
        guard python != "none" else { return }
        guard let object = try ReferenceRunner.run(
            python: python, script: "scripts/bench/reference_generate.py",
            arguments: ["--model", model, "--ids", ids.map(String.init).joined(separator: ","),
                        "--new-tokens", "\(newTokens)", "--threads", "\(threads)", "--warmup", "\(warmup)",
                        "--repeats", "\(repeats)"]),
            let reference = object["median_s"] as? Double else { return }
        print(String(format: "pytorch    median %.3f s (min %.3f) = %.1f tokens/s (torch %@, transformers %@, generate, use_cache)",
                     reference, object["min_s"] as? Double ?? .nan, Double(newTokens) / reference,
                     object["torch"] as? String ?? "?", object["transformers"] as? String ?? "?"))
        print(String(format: "speed-up   glassbox tokens/s ÷ pytorch tokens/s = %.2f", reference / median))
        let same = (object["output_ids"] as? [Int]) == output
        print("tokens     " + (same ? "identical to transformers' ids" : "DIFFERENT from transformers' ids"))
    }
}
