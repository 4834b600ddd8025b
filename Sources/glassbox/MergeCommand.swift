import ArgumentParser
import Foundation
import Glassbox

/// `glassbox merge`: the output files of a sharded `glassbox batch` joined in input order (each
/// is in input order already, so this is a streaming k-way merge by `"index"`), with missing and
/// duplicate inputs reported. With `--in` the inputs themselves are checked: every id present, in
/// its place.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the result files of a sharded batch in input order; report missing and duplicate inputs.",
        discussion: """
            Exit status 1 when an input is missing or appears twice (the merged file is still written, \
            each input once). Without --in, inputs after the last index found cannot be known to be missing.
            """)

    @Argument(help: ArgumentHelp("The shards' result files.", valueName: "results.jsonl")) var files: [String]
    @Option(help: ArgumentHelp("The merged file (replaced whole, once complete).", valueName: "all.jsonl"), completion: .file()) var out: String
    @Option(name: .customLong("in"), help: ArgumentHelp("The batch's input file: check every input's id is there.", valueName: "inputs.jsonl"), completion: .file())
    var inputPath: String?

    func validate() throws {
        if files.isEmpty { throw ValidationError("give the result files to merge") }
    }

    func run() throws {
        if let inputPath { try SameFile.refuse(output: out, outputOption: "--out", input: inputPath, inputOption: "--in") }
        var sources = try files.map { try MergeSource(path: $0) }
        defer { sources.forEach { $0.close() } }
        var inputs = try inputPath.map { try MergeInputs(path: $0) }
        defer { inputs?.close() }
        let transaction = OutputTransaction()
        let temporary = try transaction.stage(URL(fileURLWithPath: out))
        let writer = try BatchOutputFile(path: temporary.path, mode: .overwrite)
        var report = MergeReport()
        var nextIndex = 0
        while let s = sources.indices.filter({ sources[$0].head != nil }).min(by: { sources[$0].head!.index < sources[$1].head!.index }) {
            let head = sources[s].head!
            try sources[s].advance()
            if head.index < nextIndex {
                report.duplicates.append("\(head.idJSON) (index \(head.index), again in \(sources[s].path))")
                continue
            }
            if let expected = try inputs?.skip(to: head.index, in: sources[s].path, report: &report), expected != head.idJSON {
                throw MergeProblem.idMismatch(path: sources[s].path, index: head.index, had: head.idJSON, input: expected)
            }
            if inputs == nil { report.addMissingIndexes(nextIndex..<head.index) }
            try writer.append(Data(head.bytes))
            report.records += 1
            nextIndex = head.index + 1
        }
        try inputs?.skipToEnd(report: &report)
        writer.synchronize()
        try transaction.commit()
        Console.note(report.summary(files: files.count, out: out, checkedInputs: inputs != nil))
        if report.missingCount > 0 || !report.duplicates.isEmpty { throw MergeProblem.incomplete(report.problemLine) }
    }
}

/// One result file read record by record (the head is the next record).
struct MergeSource {
    struct Record { let index: Int; let idJSON: String; let bytes: [UInt8] }

    let path: String
    private(set) var head: Record?
    private var reader: JSONLReader

    init(path: String) throws {
        self.path = path
        reader = try JSONLReader(path: path, maxLineBytes: InputLimits.resultLineBytes)
        try advance()
    }

    func close() { reader.close() }

    mutating func advance() throws {
        let previous = head?.index
        head = nil
        while let line = try reader.next() {
            guard case .bytes(let bytes) = line else { throw MergeProblem.tooLong(path: path, line: reader.lineNumber, line) }
            if BatchPlan.isBlank(bytes) { continue }
            guard let header = BatchRecordHeader(bytes) else { throw MergeProblem.notResults(path: path, line: reader.lineNumber) }
            try header.checkOrder(after: previous, path: path, line: reader.lineNumber)
            head = Record(index: header.index, idJSON: header.idJSON, bytes: bytes)
            return
        }
    }
}

/// The batch's input file, read alongside the merge to check ids and find missing inputs.
struct MergeInputs {
    private var reader: JSONLReader
    private var index = 0

    init(path: String) throws { reader = try JSONLReader(path: path, maxLineBytes: InputLimits.batchLineBytes) }

    func close() { reader.close() }

    /// Reads inputs up to `target`, reporting those before it as missing; returns `target`'s id.
    /// An index past the last input is an error naming `path`, the results file (its results
    /// belong to other inputs).
    mutating func skip(to target: Int, in path: String, report: inout MergeReport) throws -> String? {
        while let (i, id) = try nextInput() {
            if i == target { return id }
            report.addMissing(id ?? "index \(i)")
        }
        throw MergeProblem.beyondInputs(path: path, index: target, inputs: index)
    }

    mutating func skipToEnd(report: inout MergeReport) throws {
        while let (i, id) = try nextInput() { report.addMissing(id ?? "index \(i)") }
    }

    private mutating func nextInput() throws -> (Int, String?)? {
        while let line = try reader.next() {
            var id: String?
            if case .bytes(let bytes) = line {
                if BatchPlan.isBlank(bytes) { continue }
                id = BatchPlan.idJSON(bytes)
            }
            defer { index += 1 }
            return (index, id)
        }
        return nil
    }
}

/// What a merge found. Missing inputs are counted, and only the first few named, so a gap of
/// two billion indexes costs no memory.
struct MergeReport {
    var records = 0
    /// How many inputs are missing.
    private(set) var missingCount = 0
    /// The first missing inputs: their ids (with --in) or indexes.
    private(set) var missing: [String] = []
    var duplicates: [String] = []

    /// Notes one missing input.
    mutating func addMissing(_ name: String) {
        missingCount += 1
        if missing.count < Self.shown { missing.append(name) }
    }

    /// Notes the gap `indexes` (without --in), naming at most the first few.
    mutating func addMissingIndexes(_ indexes: Range<Int>) {
        missingCount += indexes.count
        for index in indexes.prefix(max(0, Self.shown - missing.count)) { missing.append("index \(index)") }
    }

    private static let shown = 10

    func summary(files: Int, out: String, checkedInputs: Bool) -> String {
        var text = "merge: \(records) record(s) from \(files) file(s) into \(out)"
        if missingCount == 0 && duplicates.isEmpty {
            text += checkedInputs ? "; every input present once" : "; no gaps or duplicates (inputs after the last index not checked: pass --in)"
        }
        return text
    }

    var problemLine: String {
        var parts: [String] = []
        if missingCount > 0 { parts.append("\(missingCount) input(s) missing: " + Self.list(missing, total: missingCount)) }
        if !duplicates.isEmpty { parts.append("\(duplicates.count) duplicate(s), kept the first: " + Self.list(duplicates, total: duplicates.count)) }
        return parts.joined(separator: "; ")
    }

    private static func list(_ items: [String], total: Int) -> String {
        items.prefix(shown).joined(separator: ", ") + (total > shown ? ", …" : "")
    }
}

/// Why a merge stopped or is incomplete; `negativeIndex`, `outOfOrder` and `beyondInputs` also
/// stop `batch --resume`, which applies the same rules to its output file.
enum MergeProblem: Error, LocalizedError {
    case notResults(path: String, line: Int)
    /// A line longer than ``InputLimits/resultLineBytes`` (its length in bytes).
    case lineTooLong(path: String, line: Int, bytes: Int)
    case outOfOrder(path: String, line: Int, index: Int, after: Int)
    case negativeIndex(path: String, line: Int, index: Int)
    case beyondInputs(path: String, index: Int, inputs: Int)
    case idMismatch(path: String, index: Int, had: String, input: String?)
    case incomplete(String)

    /// ``lineTooLong(path:line:bytes:)`` for a line the reader did not keep.
    static func tooLong(path: String, line number: Int, _ line: JSONLReader.Line) -> MergeProblem {
        if case .tooLong(let bytes) = line { return .lineTooLong(path: path, line: number, bytes: bytes) }
        return .notResults(path: path, line: number)
    }

    var errorDescription: String? {
        switch self {
        case .notResults(let path, let line):
            "\(path) line \(line) is not a record of `glassbox batch` (JSON with \"index\" and \"id\")"
        case .lineTooLong(let path, let line, let bytes):
            "\(path) line \(line) is \(bytes) bytes long, more than the \(InputLimits.describe(bytes: InputLimits.resultLineBytes)) "
                + "a batch record may be here (merge and batch --resume hold one record of each file in memory)"
        case .outOfOrder(let path, let line, let index, let after):
            "\(path) line \(line): index \(index) after \(after); a batch writes its inputs in order, so this file was changed"
        case .beyondInputs(let path, let index, let inputs):
            "\(path) holds index \(index), but the input file has \(inputs) input(s): it was written for other inputs"
        case .negativeIndex(let path, let line, let index):
            "\(path) line \(line): index \(index) is negative; a batch numbers its inputs from 0, so this file was changed"
        case .idMismatch(let path, let index, let had, let input):
            "\(path) holds id \(had) for input \(index), but the input file has \(input ?? "no valid id") there: it was written for other inputs"
        case .incomplete(let problems):
            problems
        }
    }
}
