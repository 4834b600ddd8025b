import ArgumentParser
import Foundation
import Glassbox

/// One relevance explanation (AttnLRP by default) of a GPT-2-small-shaped model (or any GPT-2 /
/// Llama-family checkpoint, such as the long-input Llama shape) at several input lengths, with peak
/// memory, next to LXT 2.1 on PyTorch at the same thread count.
struct RelevanceBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relevance",
        abstract: "Time one relevance explanation and its peak memory, and compare with LXT on PyTorch.",
        discussion: """
            Each input length gets its own pair of processes: this executable again (Glassbox) and \
            scripts/bench/reference_lrp.py (LXT), both loaded and warmed up, then run alternately: \
            --repeats rounds of one Glassbox explanation followed by one LXT explanation, never at the \
            same time, so both sides see the same machine load; medians are reported, with the \
            per-round ratios. One explanation is the forward pass with the activations the sweep \
            needs plus the reverse sweep to the token embeddings (Relevance.explain), against LXT's \
            quickstart: patched forward, backward from the top logit, embeddings × gradient. By \
            default the reference projects only the last position onto the vocabulary, as Glassbox \
            does (--logits-to-keep 1); --logits-to-keep 0 makes it project every position, as LXT's \
            quickstart does. Peak memory is VmHWM from /proc/self/status, reset after the model is \
            loaded, so it counts the resident model plus the explanations (warm-up included); the \
            load's own peak is printed beside it. Neither process gets environment tuning: Glassbox \
            makes its allocator settings itself at start (AllocatorSettings), as the glassbox CLI \
            does. The default model is written by scripts/bench/make_gpt2_small.py \
            into .cache/bench/gpt2-small; the long-input Llama shape (8 layers, d 1024, 16/4 heads) \
            by scripts/bench/make_llama_bench.py --long into .cache/bench/llama-8x1024. The reference's \
            data size (heap and anonymous mappings) is capped (--reference-memory-limit-mb, RLIMIT_DATA): an LXT explanation that needs more \
            fails with PyTorch's allocation error, and the line reports that failure and the peak it \
            reached instead of a time.
            """)

    @Option(help: "The model folder.") var model = ".cache/bench/gpt2-small"
    @Option(parsing: .upToNextOption, help: "Input lengths.") var tokens: [Int] = [128, 1024]
    @Option(help: "Worker threads, for both Glassbox and PyTorch.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Unrecorded warm-up runs (each side).") var warmup = 1
    @Option(help: "Recorded rounds (one run of each side per round).") var repeats = 3
    @Option(help: "attnlrp, cp-lrp or grad-input (the reference always runs LXT's default map, attnLRP).")
    var method = "attnlrp"
    @Option(help: "Passed to the reference: 1 = project the last position only (default, as Glassbox), 0 = every position (LXT's quickstart).")
    var logitsToKeep = 1
    @Option(help: "Python with torch, transformers and lxt for the reference; 'none' skips it.")
    var python = ".venv-ref/bin/python"
    @Flag(inversion: .prefixedNo, help: "Run the reference with OMP_WAIT_POLICY=PASSIVE (see AtManBenchmark.passiveOpenMP).")
    var passiveOmp = true
    @Option(help: "Data-size cap (RLIMIT_DATA) for the reference process in MB; 0 = none.")
    var referenceMemoryLimitMb = 18_000
    @Flag(help: .hidden) var child = false

    func validate() throws {
        guard RelevanceMethod(rawValue: method) != nil else {
            throw ValidationError("--method must be one of \(RelevanceMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard !tokens.isEmpty, tokens.allSatisfy({ $0 > 0 }), repeats > 0, warmup >= 0, threads > 0 else {
            throw ValidationError("--tokens, --repeats and --threads must be positive, --warmup ≥ 0")
        }
    }

    func run() throws {
        if child { return try serveHere(tokens[0]) }
        print("machine    \(MachineDescription.summary); \(threads) threads")
        print("model      \(model); method \(method); \(warmup) warm-up each + \(repeats) rounds (Glassbox, then LXT) per length; no MALLOC_* environment (Glassbox sets its allocator itself, as shipped); reference OMP_WAIT_POLICY \(passiveOmp ? "PASSIVE" : "default")")
        print("reference  LXT \(logitsToKeep == 0 ? "projecting every position (logits_to_keep 0, its quickstart)" : "projecting the last \(logitsToKeep) position(s) (logits_to_keep \(logitsToKeep))")")
        if python != "none" && !FileManager.default.isExecutableFile(atPath: python) {
            throw ValidationError("no reference Python at \(python); pass --python or 'none'")
        }
        for n in tokens {
            print("before     \(n) tokens: \(MachineDescription.load)")
            let ours = try ServedProcess(executable: "/proc/self/exe",
                                         arguments: ["relevance", "--child", "--model", model, "--tokens", "\(n)", "--threads", "\(threads)",
                                                     "--warmup", "\(warmup)", "--method", method],
                                         environment: [:])
            defer { ours.stop() }
            var lxt: ServedProcess?
            var lxtFailure: String?                                  // set once the reference cannot go on
            if python != "none" {
                do {
                    lxt = try ServedProcess(executable: python,
                                            arguments: ["scripts/bench/reference_lrp.py", "--model", model, "--tokens", "\(n)",
                                                        "--threads", "\(threads)", "--warmup", "\(warmup)",
                                                        "--logits-to-keep", "\(logitsToKeep)",
                                                        "--memory-limit-mb", "\(referenceMemoryLimitMb)", "--serve"],
                                            environment: passiveOmp ? AtManBenchmark.passiveOpenMP : [:])
                    lxtFailure = lxt.flatMap { failure($0.ready) }
                } catch {
                    lxtFailure = "\(error)"                           // exited while loading or warming up
                }
            }
            defer { lxt?.stop() }
            var mine: [Double] = [], theirs: [Double] = []
            for _ in 0..<repeats {
                mine.append(try ours.run()["s"] as? Double ?? .nan)
                if let lxt, lxtFailure == nil {
                    do {
                        let answer = try lxt.run()
                        lxtFailure = failure(answer)
                        if lxtFailure == nil { theirs.append(answer["s"] as? Double ?? .nan) }
                    } catch {
                        lxtFailure = "\(error)"                       // killed, or crashed
                    }
                }
            }
            let ourSummary = try ours.finish()
            let peak = ourSummary["peak_rss_mb"] as? Double ?? .nan
            print(String(format: "glassbox   %5d tokens: median %.3f s (%@); peak RSS while explaining %.0f MB (model resident %.0f MB, load peak %.0f MB)",
                         n, Timing.median(mine), Self.list(mine), peak, ours.ready["model_rss_mb"] as? Double ?? .nan,
                         ours.ready["load_peak_rss_mb"] as? Double ?? .nan))
            if let lxtFailure {
                print(String(format: "lxt        %5d tokens: failed: %@", n, lxtFailure))
            } else if let lxt {
                let summary = try lxt.finish()
                let theirPeak = summary["peak_rss_mb"] as? Double ?? .nan
                let versions = ["torch", "transformers", "lxt"].compactMap { key in (summary[key] as? String).map { "\(key) \($0)" } }
                print(String(format: "lxt        %5d tokens: median %.3f s (%@); peak RSS while explaining %.0f MB (model resident %.0f MB, load peak %.0f MB); %@",
                             n, Timing.median(theirs), Self.list(theirs), theirPeak, summary["model_rss_mb"] as? Double ?? .nan,
                             summary["load_peak_rss_mb"] as? Double ?? .nan, versions.joined(separator: ", ")))
                let perRound = zip(mine, theirs).map { $1 / $0 }
                print(String(format: "ratio      %5d tokens: LXT / Glassbox median time %.2f×; median of per-round ratios %.2f× (%@); peak memory %.2f×", n,
                             Timing.median(theirs) / Timing.median(mine), Timing.median(perRound), Self.list(perRound), theirPeak / peak))
            }
            print("after      \(n) tokens: \(MachineDescription.load)")
        }
    }

    /// The reference's failure as one line (its message and the peak memory it had reached), or
    /// `nil` when `answer` carries no error.
    private func failure(_ answer: [String: Any]) -> String? {
        guard let error = answer["error"] as? String else { return nil }
        let peak = answer["peak_rss_mb"] as? Double ?? .nan
        return String(format: "%@ (peak RSS %.0f MB when it failed; data size capped at %d MB)", error, peak,
                      referenceMemoryLimitMb)
    }

    private static func list(_ values: [Double]) -> String {
        values.map { String(format: "%.2f", $0) }.joined(separator: " ")
    }

    /// The child: load, warm up, then one timed explanation per request (see ServedProcess).
    private func serveHere(_ n: Int) throws {
        Threading.setThreads(threads)
        let loaded = try TransformerModel.load(directory: URL(fileURLWithPath: model))
        let modelMB = ProcessMemory.residentMB()
        let loadPeakMB = ProcessMemory.peakMB()
        ProcessMemory.resetPeak()                                    // from here VmHWM covers the explanations only
        var rng = SplitMix64(seed: 0)
        let ids = (0..<n).map { _ in Int(rng.next() % UInt64(loaded.architecture.vocabSize)) }
        let options = RelevanceOptions(method: RelevanceMethod(rawValue: method) ?? .attnLRP)
        var checksum: Float = 0
        func once() throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            let r = try Relevance.explain(loaded, .tokens(ids, types: nil), options: options)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            checksum = r.tokens.reduce(0, +)
            return seconds
        }
        for _ in 0..<warmup { _ = try once() }
        ServedProcess.emit(["ready": true, "model_rss_mb": modelMB, "load_peak_rss_mb": loadPeakMB, "tokens": n])
        while let line = Swift.readLine(), line == "run" {
            ServedProcess.emit(["s": try once()])
        }
        ServedProcess.emit(["peak_rss_mb": ProcessMemory.peakMB(), "checksum": Double(checksum)])
    }


}
