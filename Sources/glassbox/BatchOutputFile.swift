import Foundation
import Glassbox
#if canImport(Glibc)
import Glibc
#endif

/// The JSONL file `glassbox batch` writes: one whole line per input, appended with one `write`
/// each. A new run refuses an existing file unless told to replace it (`--overwrite`, which writes
/// `OUT.partial` and renames it over the file at the end) or continue it (`--resume`). Continuing reads what is there: the indexes already written are skipped, and
/// a last line cut short by a killed run (no newline, or not JSON) is removed first, so the file
/// ends as if the run had never been interrupted.
final class BatchOutputFile {
    let path: String
    /// Input indexes already in the file (with `--resume`), with their ids as JSON text.
    private(set) var done: [Int: String] = [:]
    /// Bytes of a cut-short last line removed on `--resume`.
    private(set) var repairedBytes = 0
    private let fd: Int32

    enum Mode { case create, overwrite, resume }

    /// Opens `path` for appending. `.resume` continues what `existing` (``scan(_:)`` of the same
    /// file, nil when it does not exist) found there.
    init(path: String, mode: Mode, existing: Existing? = nil) throws {
        self.path = path
        try ModelFiles.refuse(output: path, option: "--out")
        if mode == .create && FileManager.default.fileExists(atPath: path) { throw Self.exists(path) }
        if mode == .resume, let existing { (done, repairedBytes) = (existing.done, existing.repairedBytes) }
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode == .overwrite ? O_TRUNC : 0)
        let opened = open(path, flags, 0o644)
        guard opened >= 0 else { throw FileProblem(path: path, reason: "cannot write: " + FileProblem.reason(errno: errno, writing: true)) }
        fd = opened
        if repairedBytes > 0 {
            let keep = lseek(fd, 0, SEEK_END) - off_t(repairedBytes)
            guard ftruncate(fd, keep) == 0 else { let code = errno; close(fd); throw FileProblem(path: path, reason: "cannot write: " + FileProblem.reason(errno: code, writing: true)) }
        }
        _ = lseek(fd, 0, SEEK_END)
    }

    deinit { close(fd) }

    /// Where `--overwrite` writes the records of `out` until the run ends: `OUT.partial`, beside it.
    /// An interrupted or failed run leaves `out` as it was and the records it completed here;
    /// `--overwrite --resume` continues this file.
    static func partialPath(_ out: String) -> String { out + ".partial" }

    /// Renames this file (`--overwrite`'s ``partialPath(_:)``, synchronized) over `destination`:
    /// one rename(2), so `destination` holds either the old records or all the new ones.
    func replace(_ destination: String) throws {
        guard rename(path, destination) == 0 else {
            throw FileProblem(path: destination, reason: "cannot replace it with \(path): " + FileProblem.reason(errno: errno, writing: true))
        }
    }

    /// The error for an existing output without `--resume` or `--overwrite`.
    static func exists(_ path: String) -> UsageMistake {
        UsageMistake("\(path) already exists: --resume continues it, --overwrite replaces it")
    }

    /// Appends `line` and a newline with one write (retried for the rest only if the kernel
    /// takes part of it).
    func append(_ line: Data) throws {
        var bytes = line
        bytes.append(0x0A)
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw FileProblem(path: path, reason: "cannot write: " + FileProblem.reason(errno: errno, writing: true)) }
                offset += n
            }
        }
    }

    /// Flushes the file to the disk (at the end of a run).
    func synchronize() { _ = fsync(fd) }

    /// What a resumed file already holds.
    struct Existing {
        /// Input indexes with their ids as JSON text.
        let done: [Int: String]
        /// Bytes of a cut-short last line.
        let repairedBytes: Int
        /// The `command` values its records name, and their models' shapes (`model` without its
        /// name and path, which differ between machines): one each for a file one run wrote.
        var commands: Set<String> = []
        var modelShapes: Set<String> = []

        /// Throws when continuing this file in `shard` would break what `merge` checks: every index
        /// it holds must be in the shard, with every earlier index of the shard before it (a run
        /// writes its shard's inputs in order, so a stopped run leaves a prefix of them).
        func checkContinues(_ shard: ShardOption, path: String) throws {
            guard let last = done.keys.max() else { return }
            if let foreign = done.keys.filter({ !shard.contains($0) }).min() {
                throw BatchOutputProblem.otherShard(path: path, index: foreign, shard: shard.description)
            }
            if let missing = (0..<last).first(where: { shard.contains($0) && done[$0] == nil }) {
                throw BatchOutputProblem.gap(path: path, missing: missing, after: last)
            }
        }

        /// Throws when the file's records come from another command or another model (its shape:
        /// a copy of the same checkpoint elsewhere is the same model) than this run's.
        func checkSameRun(command: String, model: [String: Any]?, path: String) throws {
            if let other = commands.first(where: { $0 != command }) {
                throw BatchOutputProblem.otherRun(path: path, what: "`\(other)` results", now: "`\(command)`")
            }
            if let model, let shape = BatchRecordHeader.shape(of: model), let other = modelShapes.first(where: { $0 != shape }) {
                throw BatchOutputProblem.otherRun(path: path, what: "results of a \(other) model", now: "a \(shape) one")
            }
        }
    }

    /// What `path` holds (nil when there is no such file): the indexes and ids of its complete
    /// records, and how many bytes at its end belong to a cut-short last line. Nothing is changed.
    static func scan(_ path: String) throws -> Existing? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        _ = try InputFile.requireRegularFile(path)
        var reader = try JSONLReader(path: path, maxLineBytes: InputLimits.batchLineBytes * 4)
        defer { reader.close() }
        var done: [Int: String] = [:]
        var commands: Set<String> = [], modelShapes: Set<String> = []
        var offset = 0, goodEnd = 0, previousEnd = 0, lastIndex: Int?
        while let line = try reader.next() {
            guard case .bytes(let bytes) = line else {
                throw BatchOutputProblem.notBatchOutput(path: path, line: reader.lineNumber)
            }
            offset += bytes.count + 1
            guard let record = BatchRecordHeader(bytes) else {
                // Only the last line may be broken (a killed run), and it starts as every record
                // does; anything else is not ours to cut.
                let number = reader.lineNumber
                if bytes.starts(with: Array("{\"id\":".utf8)), try reader.next() == nil { break }
                throw BatchOutputProblem.notBatchOutput(path: path, line: number)
            }
            try record.checkOrder(after: lastIndex, path: path, line: reader.lineNumber)
            done[record.index] = record.idJSON
            if let command = record.command { commands.insert(command) }
            if let shape = record.modelShape { modelShapes.insert(shape) }
            (previousEnd, goodEnd, lastIndex) = (goodEnd, offset, record.index)
        }
        let size = Int((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? goodEnd)
        if size < goodEnd, let lastIndex {                  // a whole record without its newline: redo it
            done[lastIndex] = nil
            goodEnd = previousEnd
        }
        return Existing(done: done, repairedBytes: max(0, size - goodEnd), commands: commands, modelShapes: modelShapes)
    }
}

/// The `"index"` and `"id"` every batch record starts with.
struct BatchRecordHeader {
    let index: Int
    let idJSON: String
    /// The record's `"command"` and its model's ``shape(of:)``, where it names them.
    var command: String?
    var modelShape: String?

    /// Nil when `bytes` is not a JSON object with an integer `"index"` (a cut-short line).
    init?(_ bytes: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let index = object["index"] as? Int, let id = object["id"], let idJSON = JSONText.fragment(id)
        else { return nil }
        (self.index, self.idJSON) = (index, idJSON)
        command = object["command"] as? String
        modelShape = (object["model"] as? [String: Any]).flatMap(Self.shape(of:))
    }

    /// A model object's architecture and size as one phrase ("gpt2, 2 layers, 4 heads": the
    /// fields every command's `"model"` has, explanation records' summary included); nil without them.
    static func shape(of model: [String: Any]) -> String? {
        guard let architecture = model["architecture"] as? String, let layers = model["layers"] as? Int,
              let heads = model["heads"] as? Int else { return nil }
        return "\(architecture), \(layers) layers, \(heads) heads"
    }

    /// The rules `merge` and `batch --resume` both apply to a results file: indexes from 0,
    /// strictly ascending (a batch writes its inputs in order, each once).
    func checkOrder(after previous: Int?, path: String, line: Int) throws {
        if index < 0 { throw MergeProblem.negativeIndex(path: path, line: line, index: index) }
        if let previous, index <= previous {
            throw MergeProblem.outOfOrder(path: path, line: line, index: index, after: previous)
        }
    }
}

/// An output file `glassbox batch --resume` cannot continue.
enum BatchOutputProblem: Error, LocalizedError {
    case notBatchOutput(path: String, line: Int)
    case differentInput(path: String, index: Int, had: String, now: String)
    case otherShard(path: String, index: Int, shard: String)
    case gap(path: String, missing: Int, after: Int)
    case otherRun(path: String, what: String, now: String)

    var errorDescription: String? {
        switch self {
        case .notBatchOutput(let path, let line):
            "\(path) line \(line) is not a record of `glassbox batch` (JSON with \"index\" and \"id\"); not continuing it"
        case .differentInput(let path, let index, let had, let now):
            "\(path) holds id \(had) for input \(index), but the input file has id \(now) there: it was written for other inputs; not continuing it"
        case .otherShard(let path, let index, let shard):
            "\(path) holds input \(index), which is not in shard \(shard): it was written with another --shard; resume it with the --shard it was written with"
        case .gap(let path, let missing, let after):
            "\(path) holds input \(after) but not input \(missing) before it: it was written with another --shard or edited; resume it with the --shard it was written with, or start again with --overwrite"
        case .otherRun(let path, let what, let now):
            "\(path) holds \(what), not \(now): it was written by another run; not continuing it (choose another --out, or --overwrite)"
        }
    }
}
