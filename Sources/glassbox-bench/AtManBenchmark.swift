import ArgumentParser
import Foundation
import Glassbox

/// AtMan (n + 1 perturbed passes) on the GPT-2-small-shaped model, next to a straightforward
/// PyTorch AtMan at the same thread count: wall time, process CPU time and peak memory for both.
struct AtManBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "atman",
        abstract: "Time AtMan explanations and compare them with a straightforward PyTorch AtMan.",
        discussion: """
            Input: seeded random token ids of each length; target: the model's top next token. Every \
            position is explained (n + 1 passes), factor 0.1, κ 0.6 with similarity-scaled factors, \
            the reference's row-minimum shift. Glassbox runs its batched suffix engine; the reference \
            (scripts/bench/reference_atman.py) runs every perturbation as a full transformers forward \
            pass in batches of --batch-size with a patched attention, and keeps only the target rows of \
            the logits. Peak memory is the process's VmHWM (reset through /proc/self/clear_refs before \
            each run where the kernel allows it), next to its resident size before the run (the \
            model). The reference runs after all Glassbox timings, one process at a time.
            """)

    @Option(help: "The model folder (scripts/bench/make_gpt2_small.py writes it).") var model = ".cache/bench/gpt2-small"
    @Option(help: "Input lengths, comma-separated.") var tokens = "64,256"
    @Option(help: "Worker threads, for both Glassbox and PyTorch.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Recorded Glassbox runs per length.") var repeats = 1
    @Option(help: "Recorded reference runs per length.") var referenceRepeats = 1
    @Option(help: "Perturbations per batch in the reference.") var batchSize = 8
    @Option(help: "Stacked rows per chunk in Glassbox.") var rowBudget = 4096
    @Option(help: "Python with torch and transformers for the reference; 'none' skips it.")
    var python = ".venv-ref/bin/python"
    @Flag(help: "Show AtMan's progress line on stderr.") var progress = false

    func run() throws {
        let lengths = tokens.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !lengths.isEmpty, lengths.allSatisfy({ $0 >= 2 }) else {
            throw ValidationError("--tokens needs lengths ≥ 2, e.g. 64,256")
        }
        Threading.setThreads(threads)
        let loaded = try TransformerModel.load(directory: URL(fileURLWithPath: model))
        let arch = loaded.architecture
        print("machine    \(MachineDescription.summary); \(threads) threads")
        print("model      \(model): \(arch.layers) layers, d \(arch.dModel), \(arch.heads) heads, vocab \(arch.vocabSize)")
        var options = AtMan.Options()
        options.shift = .rowMinimum
        options.rowBudget = rowBudget
        if progress { options.progress = AtMan.stderrProgress() }

        var rows: [(n: Int, ids: [Int], target: Int, median: Double, peak: Double, base: Double, scores: [Float])] = []
        for n in lengths {
            var rng = SplitMix64(seed: 0)
            let ids = (0..<n).map { _ in Int(rng.next() % UInt64(arch.vocabSize)) }
            let last = try loaded.forward(ids, logitRows: .positions([n - 1])).logits!.storage
            let target = last.indices.max { last[$0] < last[$1] }!
            let base = ProcessMemory.residentMB()
            ProcessMemory.resetPeak()
            var result: AtManResult?
            let cpuBefore = ProcessMemory.cpuSeconds()
            let times = try Timing.measure(warmup: 0, repeats: repeats) {
                result = try AtMan.explain(loaded, .tokens(ids, types: nil), target: .continuation([target]), options: options)
            }
            let cpu = (ProcessMemory.cpuSeconds() - cpuBefore) / Double(repeats)
            let peak = ProcessMemory.peakMB()
            rows.append((n, ids, target, Timing.median(times), peak, base, result!.groupScores))
            print(String(format: "glassbox   %4d tokens, %4d passes: median %7.2f s (%d runs; %.1f CPU-s per run), peak RSS %6.0f MB (%.0f MB before)",
                         n, n + 1, Timing.median(times), repeats, cpu, peak, base))
        }
        guard python != "none" else { return }
        guard FileManager.default.isExecutableFile(atPath: python) else {
            FileHandle.standardError.write(Data("no reference Python at \(python); build it with make-ref-venv.sh or pass --python\n".utf8))
            return
        }
        for row in rows {
            guard let reference = try runReference(ids: row.ids, target: row.target) else { continue }
            let diff = zip(row.scores, reference.deltaCE).map { abs($0 - $1) }.max() ?? .nan
            print(String(format: "pytorch    %4d tokens, %4d passes: median %7.2f s (%d runs; %.1f CPU-s per run; batch %d; torch %@), peak RSS %6.0f MB (%.0f MB before)",
                         row.n, row.n + 1, reference.median, referenceRepeats, reference.cpu, batchSize, reference.torch,
                         reference.peak, reference.base))
            print(String(format: "ratio      %4d tokens: pytorch / glassbox = %.2f× faster; max |ΔCE glassbox − pytorch| = %.2g",
                         row.n, reference.median / row.median, diff))
        }
    }

    struct Reference { let median, cpu, peak, base: Double; let torch: String; let deltaCE: [Float] }

    private func runReference(ids: [Int], target: Int) throws -> Reference? {
        guard let object = try ReferenceRunner.run(
            python: python, script: "scripts/bench/reference_atman.py",
            arguments: ["--model", model, "--ids", ids.map(String.init).joined(separator: ","), "--target", "\(target)",
                        "--threads", "\(threads)", "--batch-size", "\(batchSize)", "--repeats", "\(referenceRepeats)"]),
            let median = object["median_s"] as? Double, let peak = object["peak_rss_mb"] as? Double,
            let base = object["base_rss_mb"] as? Double else { return nil }
        let deltas = (object["delta_ce"] as? [Double] ?? []).map { Float($0) }
        return Reference(median: median, cpu: object["cpu_s"] as? Double ?? .nan, peak: peak, base: base,
                         torch: object["torch"] as? String ?? "?", deltaCE: deltas)
    }
}

