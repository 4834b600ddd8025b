import ArgumentParser
import Foundation

/// `glassbox batch` over N prompts against N separate `glassbox explain` invocations, both the
/// shipped CLI, both writing each explanation's JSON and picture.
struct BatchBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Time glassbox batch on N prompts against N separate glassbox explain runs.",
        discussion: """
            Inputs: the first --count lines of docs/evaluation/shakespeare-lines.txt, cycled (200 lines \
            of held-out Shakespeare), on the bundled model unless --model is given. Both sides do the \
            same work per prompt: one explanation (--method), its JSON written to a file and its \
            picture drawn (batch --pictures; explain --json --out). Separate runs are measured two \
            ways and the faster is the baseline: one after another with --threads T, and T processes \
            at a time with --threads 1 each (xargs -P T style). The batch runs with --threads T \
            (T inputs at once, one thread each). Wall times; the machine load is printed before and \
            after.
            """)

    @Option(help: "The glassbox executable (default: the one beside this benchmark).") var glassbox: String?
    @Option(help: "A model for both sides (default: the bundled language model).") var model: String?
    @Option(help: "How many prompts.") var count = 1000
    @Option(help: "Worker threads for both sides.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "The explanation method.") var method = "attnlrp"
    @Option(help: "Prompt lines.") var prompts = "docs/evaluation/shakespeare-lines.txt"

    func validate() throws {
        guard count > 0, threads > 0 else { throw ValidationError("--count and --threads must be positive") }
    }

    func run() throws {
        let executable = glassbox ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("glassbox").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ValidationError("no glassbox executable at \(executable); build it (swift build -c release --product glassbox) or pass --glassbox")
        }
        let lines = try String(contentsOfFile: prompts, encoding: .utf8).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        guard !lines.isEmpty else { throw ValidationError("\(prompts) holds no lines") }
        let texts = (0..<count).map { lines[$0 % lines.count] }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-bench-batch-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var jsonl = ""
        for (i, text) in texts.enumerated() {
            let line = try JSONSerialization.data(withJSONObject: ["id": i, "text": text], options: [.sortedKeys])
            jsonl += String(decoding: line, as: UTF8.self) + "\n"
        }
        let inputs = work.appendingPathComponent("inputs.jsonl")
        try jsonl.write(to: inputs, atomically: true, encoding: .utf8)
        let modelArguments = model.map { ["--model", $0] } ?? []

        print("machine    \(MachineDescription.summary); \(threads) threads; \(count) prompts, explain --method \(method), JSON + picture each")
        print("before     \(MachineDescription.load)")
        let batchSeconds = try Self.time {
            let status = try Self.run(executable, ["batch"] + modelArguments + ["--threads", "\(threads)", "--in", inputs.path,
                                                   "--out", work.appendingPathComponent("batch.jsonl").path,
                                                   "--pictures", work.appendingPathComponent("batch-pictures").path,
                                                   "--method", method])
            guard status == 0 else { throw ValidationError("glassbox batch exited with status \(status)") }
        }
        print(String(format: "batch        %.1f s (%.1f prompts/s)", batchSeconds, Double(count) / batchSeconds))

        func separate(parallel: Int, threadsEach: Int, label: String) throws -> Double {
            let folder = work.appendingPathComponent(label)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let next = Counter()
            let failures = Counter()
            let seconds = try Self.time {
                DispatchQueue.concurrentPerform(iterations: parallel) { _ in
                    while let i = next.take(below: texts.count) {
                        let out = folder.appendingPathComponent("\(i).json")
                        let status = (try? Self.run(executable, ["explain"] + modelArguments
                                                    + ["--threads", "\(threadsEach)", texts[i], "--method", method, "--json",
                                                       "--out", folder.appendingPathComponent("\(i).png").path], stdout: out)) ?? -1
                        if status != 0 { failures.increment() }
                    }
                }
            }
            let failed = failures.value
            guard failed == 0 else { throw ValidationError("\(failed) glassbox explain run(s) failed") }
            print(String(format: "%@ %.1f s (%.1f prompts/s)", label.padding(toLength: 12, withPad: " ", startingAt: 0) as NSString,
                         seconds, Double(count) / seconds))
            return seconds
        }
        let oneByOne = try separate(parallel: 1, threadsEach: threads, label: "separate")
        let side = threads > 1 ? try separate(parallel: threads, threadsEach: 1, label: "separate-p\(threads)") : oneByOne
        print("after      \(MachineDescription.load)")
        let baseline = min(oneByOne, side)
        print(String(format: "ratio      separate (the faster way, %.1f s) / batch: %.1f×; one after another / batch: %.1f×",
                     baseline, baseline / batchSeconds, oneByOne / batchSeconds))
    }

    /// Wall seconds of `body`.
    private static func time(_ body: () throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Runs `executable` (stdout to `stdout` or discarded, stderr discarded) and returns its status.
    private static func run(_ executable: String, _ arguments: [String], stdout: URL? = nil) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var handle: FileHandle?
        if let stdout {
            _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
            handle = try FileHandle(forWritingTo: stdout)
        }
        defer { try? handle?.close() }
        process.standardOutput = handle ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A shared counter: hands out indexes, or counts.
    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        var value: Int { lock.withLock { next } }
        func increment() { lock.withLock { next += 1 } }
        func take(below limit: Int) -> Int? {
            lock.withLock {
                guard next < limit else { return nil }
                defer { next += 1 }
                return next
            }
        }
    }
}
