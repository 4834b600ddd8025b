import ArgumentParser
import Foundation
import Glassbox

/// Activation patching: a full `resid_pre` layer × position sweep on the GPT-2-small-shaped model,
/// next to a straightforward batched PyTorch patching with forward hooks at the same thread count;
/// and attribution patching over all site kinds next to one plain forward + backward pass.
struct PatchBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patch",
        abstract: "Time a resid_pre patching sweep and attribution patching; compare with batched PyTorch patching.",
        discussion: """
            Input: seeded random token ids of each length (clean), and the same with positions n/4 and \
            n/2 replaced (corrupted); metric: the logit difference between the clean and corrupted \
            runs' top tokens at the last position. Glassbox runs ActivationPatching (resid_pre only) \
            through the batched suffix engine; the reference (scripts/bench/reference_patching.py) \
            runs the corrupted input in batches of --batch-size copies with a forward pre-hook on the \
            patched block, projecting only the last position. Neither side runs the patches before \
            the first differing position (in a causal model they give the corrupted metric exactly). \
            The two sides alternate (--repeats \
            rounds); medians are reported. Attribution patching (all site kinds, no comparison) is \
            timed against one Relevance grad × input pass (a forward and a backward).
            """)

    @Option(help: "The model folder (scripts/bench/make_gpt2_small.py writes it).") var model = ".cache/bench/gpt2-small"
    @Option(help: "Input lengths, comma-separated.") var tokens = "64"
    @Option(help: "Worker threads, for both Glassbox and PyTorch.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Recorded rounds per length.") var repeats = 3
    @Option(help: "Patched runs per batch in the reference.") var batchSize = 16
    @Option(help: "Python with torch and transformers for the reference; 'none' skips it.")
    var python = ".venv-ref/bin/python"

    func run() throws {
        let lengths = tokens.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !lengths.isEmpty, lengths.allSatisfy({ $0 >= 4 }), repeats > 0 else {
            throw ValidationError("--tokens needs lengths ≥ 4, e.g. 64; --repeats > 0")
        }
        if python != "none" && !FileManager.default.isExecutableFile(atPath: python) {
            throw ValidationError("no reference Python at \(python); pass --python none to skip it")
        }
        Threading.setThreads(threads)
        let loaded = try TransformerModel.load(directory: URL(fileURLWithPath: model))
        let arch = loaded.architecture
        print("machine    \(MachineDescription.summary); \(threads) threads")
        print("model      \(model): \(arch.layers) layers, d \(arch.dModel), \(arch.heads) heads, vocab \(arch.vocabSize)")
        for n in lengths {
            var rng = SplitMix64(seed: 0)
            let clean = (0..<n).map { _ in Int(rng.next() % UInt64(arch.vocabSize)) }
            var corrupted = clean
            corrupted[n / 4] = (clean[n / 4] + 1) % arch.vocabSize
            corrupted[n / 2] = (clean[n / 2] + 1) % arch.vocabSize
            let lc = try loaded.forward(clean, logitRows: .positions([n - 1])).logits!.storage
            let lr = try loaded.forward(corrupted, logitRows: .positions([n - 1])).logits!.storage
            let answer = lc.indices.max { lc[$0] < lc[$1] }!
            var wrong = lr.indices.max { lr[$0] < lr[$1] }!
            if wrong == answer { wrong = lc.indices.filter { $0 != answer }.max { lc[$0] < lc[$1] }! }
            var options = PatchingOptions(metric: .logitDiff(answer: answer, wrong: wrong))
            options.sites = [.residPre]
            print("before     \(n) tokens: \(MachineDescription.load)")
            var reference: ServedProcess?
            if python != "none" {
                reference = try ServedProcess(executable: python, arguments: [
                    "scripts/bench/reference_patching.py", "--model", model,
                    "--clean", clean.map(String.init).joined(separator: ","),
                    "--corrupted", corrupted.map(String.init).joined(separator: ","),
                    "--answer", "\(answer)", "--wrong", "\(wrong)", "--threads", "\(threads)",
                    "--batch-size", "\(batchSize)", "--serve"], environment: AtManBenchmark.passiveOpenMP)
            }
            defer { reference?.stop() }
            var result: PatchingResult?
            func timed(_ body: () throws -> Void) rethrows -> Double {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
            var mine: [Double] = [], theirs: [Double] = [], theirRaw: [Float] = []
            for _ in 0..<repeats {
                mine.append(try timed { result = try ActivationPatching.run(loaded, clean: clean, corrupted: corrupted, options: options) })
                if let reference {
                    let r = try reference.run()
                    theirs.append(r["s"] as? Double ?? .nan)
                    theirRaw = (r["raw"] as? [[Double]] ?? []).flatMap { $0.map { Float($0) } }   // [layer][position]
                }
            }
            let first = clean.indices.first { clean[$0] != corrupted[$0] } ?? n
            let runs = (n - first) * arch.layers
            print(String(format: "glassbox   %4d tokens, resid_pre sweep of %d sites, %d patched runs: median %7.3f s (%@)", n, n * arch.layers, runs,
                         Timing.median(mine), Self.list(mine)))
            if let reference {
                _ = try reference.finish()
                let raw = result!.maps[0].raw
                let diff = zip(raw, theirRaw).map { abs($0 - $1) }.max() ?? .nan
                print(String(format: "pytorch    %4d tokens, resid_pre sweep of %d patched runs (batch %d): median %7.3f s (%@)", n, runs,
                             batchSize, Timing.median(theirs), Self.list(theirs)))
                print(String(format: "ratio      %4d tokens: pytorch / glassbox %.2f×; max |raw glassbox − pytorch| = %.2g",
                             n, Timing.median(theirs) / Timing.median(mine), diff))
            }
            // Attribution patching over every site kind vs one forward + backward pass.
            var all = options
            all.sites = [.residPre, .attnOut, .mlpOut, .z, .zByPosition, .q, .k, .v, .pattern]
            var atp: [Double] = [], fb: [Double] = []
            for _ in 0..<repeats {
                atp.append(try timed { _ = try AttributionPatching.run(loaded, clean: clean, corrupted: corrupted, options: all) })
                fb.append(try timed {
                    _ = try Relevance.explain(loaded, .tokens(corrupted, types: nil), target: .token(answer, position: n - 1),
                                              options: RelevanceOptions(method: .gradientTimesInput))
                })
            }
            print(String(format: "atp        %4d tokens, all site kinds: median %7.3f s; one forward + backward (grad × input) %7.3f s; ratio %.2f×",
                         n, Timing.median(atp), Timing.median(fb), Timing.median(atp) / Timing.median(fb)))
            print("after      \(n) tokens: \(MachineDescription.load)")
        }
    }

    private static func list(_ values: [Double]) -> String { values.map { String(format: "%.3f", $0) }.joined(separator: " ") }
}
