import ArgumentParser
import Foundation
import Glassbox

/// One full forward pass (logits at every position) of a GPT-2-small-shaped model, next to the
/// same forward in PyTorch eager (transformers) at the same thread count.
struct ForwardBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Time a full forward pass and compare it with PyTorch eager.",
        discussion: """
            The default model is GPT-2-small-shaped with random weights (12 layers, d 768, 12 heads, \
            vocab 50257), written by scripts/bench/make_gpt2_small.py into .cache/bench/gpt2-small; \
            scripts/bench/make_llama_bench.py writes a Llama-shaped one (16 layers, d 2048, GQA 32/8) \
            into .cache/bench/llama-16x2048. The \
            reference runs scripts/bench/reference_forward.py with the given Python (the environment \
            of make-ref-venv.sh), after the Swift timing, never at the same time.
            """)

    @Option(help: "The model folder.") var model = ".cache/bench/gpt2-small"
    @Option(help: "Input length.") var tokens = 128
    @Option(help: "Worker threads, for both Glassbox and PyTorch.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Unrecorded warm-up runs.") var warmup = 3
    @Option(help: "Recorded runs.") var repeats = 15
    @Option(help: "wall (elapsed) or cpu (process CPU time, for 1-thread comparisons on a busy machine); the reference is always wall.")
    var clock: Clock = .wall
    @Option(help: "Python with torch and transformers for the reference; 'none' skips it.")
    var python = ".venv-ref/bin/python"
    @Option(help: "The reference's dtype: float32 (weights widened at load, the default), bfloat16 or float16 (a bf16/f16 checkpoint run as stored; an 8B model does not fit in 24 GB as float32).")
    var referenceDtype: ReferenceDType = .float32
    @Flag(help: "Also time the forward with Float32 copies of the weight matrices (the load before weights stayed in their dtype) and print how far its logits are from the stored-format ones.")
    var compareFloat32Copy = false
    @Flag(help: "Also time the forward with --precision bf16 products and print how far its logits are from the exact ones (docs/methods.md §0.7).")
    var compareBF16 = false

    func run() throws {
        Threading.setThreads(threads)
        let loaded = try TransformerModel.load(directory: URL(fileURLWithPath: model))
        let arch = loaded.architecture
        var rng = SplitMix64(seed: 0)
        let ids = (0..<tokens).map { _ in Int(rng.next() % UInt64(arch.vocabSize)) }

        let times = try Timing.measure(warmup: warmup, repeats: repeats, clock: clock) { _ = try loaded.forward(ids) }
        let median = Timing.median(times)
        let flops = Self.forwardFLOPs(arch, tokens: tokens)
        let achieved = flops / median / 1e9
        let peak = SgemmBenchmark.peak()

        print("machine    \(MachineDescription.summary); \(threads) threads")
        print("model      \(model): \(arch.layers) layers, d \(arch.dModel), \(arch.heads) heads, vocab \(arch.vocabSize); \(tokens) tokens")
        print(String(format: "glassbox   median %.4f s (min %.4f, %d runs) = %.1f GFLOP/s (%.1f GFLOP per forward)",
                     median, times.min()!, repeats, achieved, flops / 1e9) + (clock == .cpu ? "; process CPU time" : ""))
        print(String(format: "sgemm peak %.1f GFLOP/s → the forward reaches %.0f%% of it", peak, 100 * achieved / peak))
        if compareFloat32Copy { try compareWithFloat32Copy(loaded, ids, median: median) }
        if compareBF16 { try compareWithBF16(loaded, ids, median: median) }
        guard python != "none" else { return }
        guard let reference = try runReference() else { return }
        print(String(format: "pytorch    median %.4f s (min %.4f; torch %@, transformers %@, eager, %@, %d threads)",
                     reference.median, reference.min, reference.torch, reference.transformers, referenceDtype.rawValue, threads))
        print(String(format: "ratio      glassbox / pytorch = %.2f (≤ 1.0 means Glassbox is not slower); %.1f vs %.1f tokens/s",
                     median / reference.median, Double(tokens) / median, Double(tokens) / reference.median))
    }

    /// Times the forward with bf16 products (`ProductPrecision.bf16`) and prints its median next to
    /// the exact one and the largest logit difference relative to the largest |logit|.
    private func compareWithBF16(_ model: TransformerModel, _ ids: [Int], median: Double) throws {
        let times = try withProductPrecision(.bf16) {
            try Timing.measure(warmup: warmup, repeats: repeats, clock: clock) { _ = try model.forward(ids) }
        }
        let exact = try model.forward(ids).logits!.storage
        let bf16 = try withProductPrecision(.bf16) { try model.forward(ids).logits!.storage }
        let scale = exact.map { abs($0) }.max() ?? 1
        let errors = zip(exact, bf16).map { abs($0 - $1) / scale }
        print(String(format: "bf16       median %.4f s (min %.4f) = %.2f× the exact forward; logits: max |Δ|/max|l| %.2e, mean %.2e",
                     Timing.median(times), times.min()!, Timing.median(times) / median, errors.max() ?? 0,
                     errors.reduce(0, +) / Float(max(errors.count, 1))))
    }

    /// Times the forward on Float32 copies of the weights and prints the largest logit difference
    /// (absolute, and relative to the largest |logit|) and how many logits are bitwise equal.
    func compareWithFloat32Copy(_ model: TransformerModel, _ ids: [Int], median: Double) throws {
        let widened = model.widenedToFloat32()
        let times = try Timing.measure(warmup: warmup, repeats: repeats, clock: clock) { _ = try widened.forward(ids) }
        let stored = try model.forward(ids).logits!.storage, copy = try widened.forward(ids).logits!.storage
        var worst: Float = 0, largest: Float = 0, equal = 0
        for (a, b) in zip(stored, copy) {
            worst = max(worst, abs(a - b)); largest = max(largest, abs(b)); equal += a == b ? 1 : 0
        }
        print(String(format: "f32 copy   median %.4f s (stored/copy = %.2f); logits max |Δ| %.3g = %.3g of max |logit|, %d of %d bitwise equal",
                     Timing.median(times), median / Timing.median(times), Double(worst), Double(worst / max(largest, .leastNormalMagnitude)),
                     equal, stored.count))
    }

    /// Multiply–adds ×2 of the dense work: projections, attention products and the vocabulary
    /// projection at every position (norms and activations are not counted).
    static func forwardFLOPs(_ arch: Architecture, tokens n: Int) -> Double {
        let (d, dff, v) = (Double(arch.dModel), Double(arch.dFF), Double(arch.vocabSize))
        let q = Double(arch.heads * arch.headDim), kv = Double(arch.kvHeads * arch.headDim)
        let t = Double(n)
        let projections = 2 * t * d * (q + 2 * kv) + 2 * t * q * d          // q, k, v and output
        let attention = 2 * 2 * t * t * q                                    // scores and pattern · v
        let mlp = 2 * t * d * dff * (arch.mlp == .gated ? 3 : 2)
        return Double(arch.layers) * (projections + attention + mlp) + 2 * t * d * v
    }

    struct Reference { let median, min: Double; let torch, transformers: String }

    /// The dtype PyTorch runs the reference in (`reference_forward.py --dtype`).
    enum ReferenceDType: String, ExpressibleByArgument, CaseIterable { case float32, bfloat16, float16 }

    private func runReference() throws -> Reference? {
        guard let object = try ReferenceRunner.run(
            python: python, script: "scripts/bench/reference_forward.py",
            arguments: ["--model", model, "--tokens", "\(tokens)", "--threads", "\(threads)", "--warmup", "\(warmup)",
                        "--repeats", "\(repeats)", "--dtype", referenceDtype.rawValue]),
            let median = object["median_s"] as? Double, let min = object["min_s"] as? Double else { return nil }
        return Reference(median: median, min: min, torch: object["torch"] as? String ?? "?",
                         transformers: object["transformers"] as? String ?? "?")
    }

}
