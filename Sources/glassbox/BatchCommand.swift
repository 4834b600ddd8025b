import ArgumentParser
import Foundation
import Glassbox

/// The commands `glassbox batch --command` runs.
enum BatchCommandKind: String, ExpressibleByArgument, CaseIterable {
    case explain, predict, lens, evaluate, patch

    var type: any BatchableCommand.Type {
        switch self {
        case .explain: ExplainCommand.self
        case .predict: PredictCommand.self
        case .lens: LensCommand.self
        case .evaluate: EvaluateCommand.self
        case .patch: PatchCommand.self
        }
    }

    /// Inputs that satisfy the command's input rules, to check the batch's options once before any
    /// line runs: the options pass when they fit one of them. A rule about the kind of input
    /// (`--words` needs a text prompt) is then checked per line, where a line of ids gets an error
    /// record; the first probe's mistake is the one reported.
    var probeInputs: [[String]] {
        switch self {
        case .explain, .predict, .lens: [["--ids", "0"], ["--prompt", "x"]]
        case .evaluate: [[EvaluateCommand.batchPlaceholder]]
        case .patch: [["--clean-ids", "0", "--corrupted-ids", "0"]]
        }
    }
}

/// `glassbox batch`: one command over every input of a JSONL file, the model loaded once; each
/// output line is the command's `--json` record with the input's `"id"` and `"index"`, in input
/// order (docs/batch.md).
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Run explain, predict, lens, evaluate or patch over a JSONL file of inputs, loading the model once.",
        discussion: """
            Each input line is {"id": …, "text": …}, {"id": …, "ids": […]} or {"id": …, "image": "file.png"} \
            (relative to the input file's folder), with an optional "target" and per-line option overrides \
            (any other key: {"method": "atman"} is --method atman, {"words": true} is --words); patch lines give \
            "clean" and "corrupted" instead. Each output line is the command's --json record with "id" and \
            "index" (the input's 0-based position; blank lines do not count) first, in input order. A line \
            that cannot run becomes {"id": …, "index": …, "error": "…"} and the batch goes on; the exit status \
            is 1 when any did. --shard I/N takes the inputs whose index k has k mod N = I; `glassbox merge` \
            joins the shards' files. --resume skips the inputs already in --out (after a crash or preemption) \
            and removes a last line cut short. Options after the batch's own go to the command.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .customLong("in"), help: ArgumentHelp("The inputs, one JSON object per line.", valueName: "inputs.jsonl"), completion: .file())
    var inputPath: String
    @Option(help: ArgumentHelp("The results, one JSON object per line.", valueName: "results.jsonl"), completion: .file()) var out: String
    @Option(help: "The command run on each input.") var command: BatchCommandKind = .explain
    @Option(name: .customLong("shard"), parsing: .unconditional,
            help: ArgumentHelp("Take only the inputs whose 0-based index k has k mod N = I.", valueName: "I/N"))
    var shardText = ShardOption.all.description
    /// `--shard`, checked by `validate()` (which names what is wrong with a bad value).
    var shard: ShardOption { (try? ShardOption(parsing: shardText)) ?? .all }
    @Flag(help: "Continue --out: skip the inputs already there, remove a last line cut short; with --overwrite, continue the OUT.partial an interrupted --overwrite run left.") var resume = false
    @Flag(help: "Replace an existing --out once the run ends: the records go to OUT.partial until then, so a failed or interrupted run leaves --out as it was.") var overwrite = false
    @Option(help: ArgumentHelp("Also draw each input's picture here, as INDEX-ID.png (the record names it in \"picture\").", valueName: "folder"), completion: .directory)
    var pictures: String?
    @Option(parsing: .unconditional,
            help: "Inputs computed at once, each on one thread (default: --threads, or all cores); 1 computes one input at a time on all threads.")
    var workers: Int?
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The command's options, as on its own command line.", valueName: "command options"))
    var commandOptions: [String] = []

    func validate() throws {
        _ = try ShardOption(parsing: shardText)
        if pictures != nil, command == .predict {
            throw ValidationError("--pictures: predict draws no picture (its record is the whole result), so leave out --pictures")
        }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1, got \(workers)") }
        if let workers, workers > Threading.maximumThreads {       // the bound of --threads: each worker is a thread
            throw ValidationError("--workers must be at most \(Threading.maximumThreads) (4 per core, at least 256), got \(workers)")
        }
        for option in commandOptions where option.hasPrefix("--") {
            let name = String(option.dropFirst(2).prefix { $0 != "=" })
            if BatchInput.batchWideKeys.contains(name) || ["in", "shard", "resume", "overwrite", "workers", "command"].contains(name) {
                throw ValidationError("--\(name) belongs before the command's options, once for the whole batch")
            }
            if BatchInput.ownFileKeys.contains(name) { throw ValidationError(BatchInput.ownFileMessage(name)) }
        }
    }

    func run() throws {
        let kind = command
        let probes = kind.probeInputs.map { probe in Result { try kind.type.parse(commandOptions + probe) } }
        if !probes.contains(where: { if case .success = $0 { true } else { false } }),
           case .failure(let error) = probes[0] {
            let unknown = UnknownOptionProbe.message(in: [kind.rawValue] + commandOptions + kind.probeInputs[0])
            throw UsageMistake("\(kind.rawValue): " + (unknown ?? kind.type.message(for: error)))
        }
        let folder = URL(fileURLWithPath: inputPath).deletingLastPathComponent()
        try SameFile.refuse(output: out, outputOption: "--out", input: inputPath, inputOption: "--in")
        if let model = try? modelOptions.resolve() {                // a file of the model, before --resume reads it
            ModelFiles.record(directory: model.url)
            try ModelFiles.refuse(output: out)
        }
        if !resume && !overwrite && FileManager.default.fileExists(atPath: out) {
            throw BatchOutputFile.exists(out)                         // before the model loads
        }
        // --overwrite writes to OUT.partial and renames it over --out at the end (BatchOutputFile.partialPath).
        let written = overwrite ? BatchOutputFile.partialPath(out) : out
        if overwrite { try ModelFiles.refuse(output: written) }
        let existing = resume ? try BatchOutputFile.scan(written) : nil
        try existing?.checkSameRun(command: kind.rawValue, model: nil, path: written)
        let plan = try BatchPlan.scan(inputPath, shard: shard, done: existing?.done ?? [:], output: written)
        try existing?.checkContinues(shard, path: written)          // its indexes are below the inputs' count now
        let memory = MemoryGate()
        let loaded = try modelOptions.load(image: plan.firstIsImage)
        try existing?.checkSameRun(command: kind.rawValue, model: loaded.jsonDescription, path: written)
        let output = try BatchOutputFile(path: written, mode: resume ? .resume : overwrite ? .overwrite : .create, existing: existing, out: out)
        let threads = modelOptions.threads ?? Threading.threads
        let workerCount = max(1, workers ?? threads)
        Threading.setThreads(workerCount > 1 ? 1 : threads)
        let todo = plan.shardRecords - output.done.keys.filter(shard.contains).count
        if output.repairedBytes > 0 { Console.note("\(written): removed a last line cut short (\(output.repairedBytes) bytes)") }
        Console.note("batch: \(kind.rawValue) on \(loaded.spec), shard \(shard) (\(plan.shardRecords) of \(plan.records) inputs), "
                     + "\(todo) to compute, \(plan.shardRecords - todo) already in \(written); \(workerCount) worker(s)")
        let progress = BatchProgress(total: todo)
        let pictureFolder = try pictures.map { path -> URL in
            let url = URL(fileURLWithPath: path)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }
        let runner = BatchRunner(kind: kind, commandOptions: commandOptions, loaded: loaded, folder: folder, progress: progress,
                                 pictures: pictureFolder, memory: memory)

        var reader = try JSONLReader(path: inputPath, maxLineBytes: InputLimits.batchLineBytes)
        defer { reader.close() }
        var window: [BatchRunner.Item] = []
        var index = 0, failed = 0, records = 0
        func flush() throws {
            for line in runner.run(window, workers: workerCount) {
                try output.append(line.data)
                if line.failed { failed += 1 }
                records += 1
            }
            window.removeAll(keepingCapacity: true)
        }
        while let line = try reader.next() {
            if case .bytes(let bytes) = line, BatchPlan.isBlank(bytes) { continue }
            defer { index += 1 }
            guard shard.contains(index) else { continue }
            if output.done[index] != nil { continue }                 // ids checked by BatchPlan.scan
            window.append(BatchRunner.Item(index: index, line: reader.lineNumber, content: line))
            // One input at a time with one worker, so each record follows its picture at once;
            // several workers share windows of 4 inputs each (kept in input order).
            if window.count >= (workerCount == 1 ? 1 : 4 * workerCount) { try flush() }
        }
        try flush()
        output.synchronize()
        if overwrite { try output.replace(out) }
        Console.note(String(format: "batch: wrote %d record(s) to %@ (%d failed) at %.2f inputs/s", records, out, failed, progress.rate))
        if failed > 0 { throw BatchFailures(failed: failed, total: records, path: out) }
    }
}

/// Some inputs of a batch became error records (exit status 1).
struct BatchFailures: Error, LocalizedError {
    let failed: Int, total: Int, path: String
    var errorDescription: String? {
        "\(failed) of \(total) input(s) failed; their records in \(path) say why (\"error\")"
    }
}
