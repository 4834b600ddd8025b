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
            pass in batches of --batch-size with a patched attention, and projects only the target row \
            onto the vocabulary (logits_to_keep), as Glassbox does. The reference stays loaded and \
            the two sides alternate: --repeats rounds of one Glassbox explanation followed by one \
            reference explanation, never at the same time; medians are reported with the per-round \
            ratios. Peak memory is the process's VmHWM (reset through /proc/self/clear_refs before the \
            runs where the kernel allows it), next to its resident size before them (the model).
            """)

    @Option(help: "The model folder (scripts/bench/make_gpt2_small.py writes it).") var model = ".cache/bench/gpt2-small"
    @Option(help: "Input lengths, comma-separated.") var tokens = "64,256"
    @Option(help: "Worker threads, for both Glassbox and PyTorch.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Recorded rounds per length (one run of each side per round).") var repeats = 3
    @Option(help: "Unrecorded warm-up runs per length (each side).") var warmup = 0
    @Option(help: "Perturbations per batch in the reference.") var batchSize = 8
    @Option(help: "Stacked rows per chunk in Glassbox.") var rowBudget = 4096
    @Option(help: "The reference's logit rows: targets (only the target rows are projected, default) or all.")
    var logitsRows = "targets"
    @Option(help: "Python with torch and transformers for the reference; 'none' skips it.")
    var python = ".venv-ref/bin/python"
    @Flag(help: "Show AtMan's progress line on stderr.") var progress = false
    @Flag(inversion: .prefixedNo, help: "Run the reference with OMP_WAIT_POLICY=PASSIVE (see passiveOpenMP).")
    var passiveOmp = true

    /// PyTorch's OpenMP threads spin while they wait for work. On a machine whose other jobs keep
    /// the cores busy (load above the core count) a spinning 2-thread PyTorch slows down by up to
    /// 10× (LXT at 16 tokens: 2.0–5.3 s active, 0.33 s passive, load 6 on 2 cores); letting its
    /// threads sleep instead removes that, and costs little on an idle machine. Glassbox's own
    /// parallel loops do not spin.
    static let passiveOpenMP = ["OMP_WAIT_POLICY": "PASSIVE"]

    func run() throws {
        let lengths = tokens.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !lengths.isEmpty, lengths.allSatisfy({ $0 >= 2 }), repeats > 0, warmup >= 0 else {
            throw ValidationError("--tokens needs lengths ≥ 2, e.g. 64,256; --repeats > 0")
        }
        guard logitsRows == "targets" || logitsRows == "all" else { throw ValidationError("--logits-rows: targets or all") }
        if python != "none" && !FileManager.default.isExecutableFile(atPath: python) {
            throw ValidationError("no reference Python at \(python); build it with make-ref-venv.sh or pass --python none")
        }
        Threading.setThreads(threads)
        let loaded = try TransformerModel.load(directory: URL(fileURLWithPath: model))
        let arch = loaded.architecture
        print("machine    \(MachineDescription.summary); \(threads) threads")
        print("model      \(model): \(arch.layers) layers, d \(arch.dModel), \(arch.heads) heads, vocab \(arch.vocabSize)")
        print("rounds     \(warmup) warm-up each, then \(repeats) × (Glassbox run, PyTorch run) per length; reference batch \(batchSize), logit rows: \(logitsRows), OMP_WAIT_POLICY \(passiveOmp ? "PASSIVE" : "default")")
        var options = AtMan.Options()
        options.shift = .rowMinimum
        options.rowBudget = rowBudget
        if progress { options.progress = AtMan.stderrProgress() }

        for n in lengths {
            var rng = SplitMix64(seed: 0)
            let ids = (0..<n).map { _ in Int(rng.next() % UInt64(arch.vocabSize)) }
            let last = try loaded.forward(ids, logitRows: .positions([n - 1])).logits!.storage
            let target = last.indices.max { last[$0] < last[$1] }!
            print("before     \(n) tokens: \(MachineDescription.load)")
            var reference: ServedProcess?
            if python != "none" {
                reference = try ServedProcess(executable: python, arguments: [
                    "scripts/bench/reference_atman.py", "--model", model, "--ids", ids.map(String.init).joined(separator: ","),
                    "--target", "\(target)", "--threads", "\(threads)", "--batch-size", "\(batchSize)",
                    "--warmup", "\(warmup)", "--logits-rows", logitsRows, "--serve"],
                    environment: passiveOmp ? Self.passiveOpenMP : [:])
            }
            defer { reference?.stop() }
            let base = ProcessMemory.residentMB()
            ProcessMemory.resetPeak()
            var result: AtManResult?
            func ours() throws -> (s: Double, cpu: Double) {
                let cpu0 = ProcessMemory.cpuSeconds()
                let start = DispatchTime.now().uptimeNanoseconds
                result = try AtMan.explain(loaded, .tokens(ids, types: nil), target: .continuation([target]), options: options)
                return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, ProcessMemory.cpuSeconds() - cpu0)
            }
            for _ in 0..<warmup { _ = try ours() }
            var mine: [Double] = [], myCPU: [Double] = [], theirs: [Double] = [], theirCPU: [Double] = []
            var deltas: [Float] = []
            for _ in 0..<repeats {
                let m = try ours()
                mine.append(m.s)
                myCPU.append(m.cpu)
                if let reference {
                    let r = try reference.run()
                    theirs.append(r["s"] as? Double ?? .nan)
                    theirCPU.append(r["cpu_s"] as? Double ?? .nan)
                    deltas = (r["delta_ce"] as? [Double] ?? []).map { Float($0) }
                }
            }
            let peak = ProcessMemory.peakMB()
            print(String(format: "glassbox   %4d tokens, %4d passes: median %7.2f s (%@; %.1f CPU-s per run), peak RSS %6.0f MB (%.0f MB before)",
                         n, n + 1, Timing.median(mine), Self.list(mine), Timing.median(myCPU), peak, base))
            if let reference {
                let summary = try reference.finish()
                let diff = zip(result!.groupScores, deltas).map { abs($0 - $1) }.max() ?? .nan
                print(String(format: "pytorch    %4d tokens, %4d passes: median %7.2f s (%@; %.1f CPU-s per run; torch %@), peak RSS %6.0f MB (%.0f MB before)",
                             n, n + 1, Timing.median(theirs), Self.list(theirs), Timing.median(theirCPU),
                             summary["torch"] as? String ?? "?", summary["peak_rss_mb"] as? Double ?? .nan,
                             summary["base_rss_mb"] as? Double ?? .nan))
                let perRound = zip(mine, theirs).map { $1 / $0 }
                print(String(format: "ratio      %4d tokens: pytorch / glassbox median time %.2f×; median of per-round ratios %.2f× (%@); max |ΔCE glassbox − pytorch| = %.2g",
                             n, Timing.median(theirs) / Timing.median(mine), Timing.median(perRound), Self.list(perRound), diff))
            }
            print("after      \(n) tokens: \(MachineDescription.load)")
        }
    }

    private static func list(_ values: [Double]) -> String {
        values.map { String(format: "%.2f", $0) }.joined(separator: " ")
    }
}
