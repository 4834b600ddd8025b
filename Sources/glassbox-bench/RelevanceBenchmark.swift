import ArgumentParser
import Foundation
import Glassbox

/// One relevance explanation (AttnLRP by default) of a GPT-2-small-shaped model at several input
/// lengths, with peak memory, next to LXT 2.1 on PyTorch at the same thread count.
struct RelevanceBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relevance",
        abstract: "Time one relevance explanation and its peak memory, and compare with LXT on PyTorch.",
        discussion: """
            Each input length runs in its own process (this executable again, then \
            scripts/bench/reference_lrp.py), one after the other, never at the same time, so each \
            peak belongs to one length. One explanation is the forward pass with the activations the \
            sweep needs plus the reverse sweep to the token embeddings (Relevance.explain), against \
            LXT's quickstart: patched forward, backward from the top logit, embeddings × gradient \
            (--logits-to-keep 1 lets the reference project only the last position). Peak memory is \
            VmHWM from /proc/self/status, reset after the model is loaded, so it counts the resident \
            model plus the explanations; the load's own peak is printed beside it. Both processes get \
            the same glibc MALLOC_* settings unless --no-malloc-tuning. The default model is written \
            by scripts/bench/make_gpt2_small.py into .cache/bench/gpt2-small.
            """)

    @Option(help: "The model folder.") var model = ".cache/bench/gpt2-small"
    @Option(parsing: .upToNextOption, help: "Input lengths.") var tokens: [Int] = [128, 1024]
    @Option(help: "Worker threads, for both Glassbox and PyTorch.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Unrecorded warm-up runs.") var warmup = 1
    @Option(help: "Recorded runs.") var repeats = 5
    @Option(help: "attnlrp, cp-lrp or grad-input (the reference always runs LXT's default map, attnLRP).")
    var method = "attnlrp"
    @Option(help: "Passed to the reference: 0 = logits at every position (LXT's quickstart), 1 = the last only.")
    var logitsToKeep = 0
    @Option(help: "Python with torch, transformers and lxt for the reference; 'none' skips it.")
    var python = ".venv-ref/bin/python"
    @Option(help: "wall (elapsed) or cpu (process CPU time, for 1-thread comparisons on a busy machine); the reference is always wall.")
    var clock: Clock = .wall
    @Flag(inversion: .prefixedNo, help: "Run both processes with the same glibc MALLOC_* settings (see mallocEnvironment).")
    var mallocTuning = true
    @Flag(help: .hidden) var child = false

    /// Keeps large freed blocks in the heap instead of returning them to the kernel, so repeated
    /// explanations reuse memory rather than page-faulting fresh mappings (expensive in VMs):
    /// mmap threshold 32 MiB (glibc's maximum), trim threshold 4 GiB, top pad 256 MiB. Applied to
    /// both processes alike; PyTorch changes little with it (its allocator caches), Glassbox
    /// (plain Swift arrays) gains.
    static let mallocEnvironment = ["MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "4294967296",
                                    "MALLOC_TOP_PAD_": "268435456"]

    func validate() throws {
        guard RelevanceMethod(rawValue: method) != nil else {
            throw ValidationError("--method must be one of \(RelevanceMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard !tokens.isEmpty, tokens.allSatisfy({ $0 > 0 }), repeats > 0, warmup >= 0, threads > 0 else {
            throw ValidationError("--tokens, --repeats and --threads must be positive, --warmup ≥ 0")
        }
    }

    func run() throws {
        if child { return try measureHere(tokens[0]) }
        print("machine    \(MachineDescription.summary); \(threads) threads")
        print("model      \(model); method \(method); \(warmup) warm-up + \(repeats) runs per length; malloc tuning \(mallocTuning ? "on (both)" : "off")"
              + (clock == .cpu ? "; Glassbox times are process CPU time" : ""))
        let environment = mallocTuning ? Self.mallocEnvironment : [:]
        for n in tokens {
            guard let ours = try Self.runJSON("/proc/self/exe",
                                              ["relevance", "--child", "--model", model, "--tokens", "\(n)", "--threads", "\(threads)",
                                               "--warmup", "\(warmup)", "--repeats", "\(repeats)", "--method", method,
                                               "--clock", clock.rawValue],
                                              environment: environment) else {
                throw ValidationError("the Glassbox measurement at \(n) tokens failed")
            }
            print(String(format: "glassbox   %5d tokens: median %.3f s (min %.3f); peak RSS while explaining %.0f MB (model resident %.0f MB, load peak %.0f MB)",
                         n, ours.median, ours.min, ours.peak, ours.model, ours.loadPeak))
            guard python != "none" else { continue }
            guard FileManager.default.isExecutableFile(atPath: python) else {
                FileHandle.standardError.write(Data("no reference Python at \(python); pass --python or 'none'\n".utf8))
                continue
            }
            guard let lxt = try Self.runJSON(python, ["scripts/bench/reference_lrp.py", "--model", model, "--tokens", "\(n)",
                                                      "--threads", "\(threads)", "--warmup", "\(warmup)", "--repeats", "\(repeats)",
                                                      "--logits-to-keep", "\(logitsToKeep)"], environment: environment) else {
                FileHandle.standardError.write(Data("the LXT reference failed at \(n) tokens\n".utf8))
                continue
            }
            print(String(format: "lxt        %5d tokens: median %.3f s (min %.3f); peak RSS while explaining %.0f MB (model resident %.0f MB, load peak %.0f MB); %@",
                         n, lxt.median, lxt.min, lxt.peak, lxt.model, lxt.loadPeak, lxt.versions))
            print(String(format: "ratio      %5d tokens: LXT / Glassbox time %.2f×, peak memory %.2f×", n,
                         lxt.median / ours.median, lxt.peak / ours.peak))
        }
    }

    /// The child: load, warm up, time, report one JSON line.
    private func measureHere(_ n: Int) throws {
        Threading.setThreads(threads)
        let loaded = try TransformerModel.load(directory: URL(fileURLWithPath: model))
        let modelMB = ProcessMemory.residentMB()
        let loadPeakMB = ProcessMemory.peakMB()
        ProcessMemory.resetPeak()                                    // from here VmHWM covers the explanations only
        var rng = SplitMix64(seed: 0)
        let ids = (0..<n).map { _ in Int(rng.next() % UInt64(loaded.architecture.vocabSize)) }
        let options = RelevanceOptions(method: RelevanceMethod(rawValue: method) ?? .attnLRP)
        var checksum: Float = 0
        let times = try Timing.measure(warmup: warmup, repeats: repeats, clock: clock) {
            let r = try Relevance.explain(loaded, .tokens(ids, types: nil), options: options)
            checksum = r.tokens.reduce(0, +)
        }
        let line: [String: Any] = ["median_s": Timing.median(times), "min_s": times.min() ?? 0,
                                   "peak_rss_mb": ProcessMemory.peakMB(), "load_peak_rss_mb": loadPeakMB,
                                   "model_rss_mb": modelMB, "tokens": n, "checksum": Double(checksum)]
        print(String(decoding: try JSONSerialization.data(withJSONObject: line), as: UTF8.self))
    }

    struct Measurement { let median, min, peak, loadPeak, model: Double; let versions: String }

    /// Runs a process (with extra environment variables) that prints one JSON line (the last line of its output).
    private static func runJSON(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> Measurement? {
        guard let object = try ReferenceRunner.lastJSONLine(executable: executable, arguments: arguments, environment: environment),
              let median = object["median_s"] as? Double, let min = object["min_s"] as? Double,
              let peak = object["peak_rss_mb"] as? Double, let model = object["model_rss_mb"] as? Double else { return nil }
        let versions = ["torch", "transformers", "lxt"].compactMap { key in (object[key] as? String).map { "\(key) \($0)" } }
        return Measurement(median: median, min: min, peak: peak, loadPeak: object["load_peak_rss_mb"] as? Double ?? .nan,
                           model: model, versions: versions.joined(separator: ", "))
    }
}
