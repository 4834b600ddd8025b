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

    /// Opens `path` for appending and locks it (`flock`, exclusive, for the whole run) before
    /// changing anything in it, so a second run on the same file is refused
    /// (``BatchOutputProblem/busy(out:)``, naming `out`: the `--out` the user gave) instead of
    /// writing it too. `.overwrite` truncates `path` only once it holds the lock, and also locks
    /// `out` when it exists (a `--resume` run on it is writing it). `.resume` continues what
    /// `existing` (``scan(_:)`` of the same file, nil when it does not exist) found there.
    init(path: String, mode: Mode, existing: Existing? = nil, out: String? = nil) throws {
        self.path = path
        let out = out ?? path
        try ModelFiles.refuse(output: path, option: "--out")
        if mode == .create && FileManager.default.fileExists(atPath: path) { throw Self.exists(path) }
        if mode == .resume, let existing { (done, repairedBytes) = (existing.done, existing.repairedBytes) }
        let held = mode == .overwrite && out != path ? try Self.lockExisting(out) : nil
        // No O_TRUNC: nothing is changed before the lock is held.
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode == .create ? O_EXCL : 0)
        let opened = open(path, flags, 0o644)
        guard opened >= 0 else {
            let code = errno
            if let held { close(held) }
            if code == EEXIST { throw Self.exists(path) }                   // created since the check above
            throw FileProblem(path: path, reason: "cannot write: " + FileProblem.reason(errno: code, writing: true))
        }
        fd = opened
        do {
            try Self.lock(fd, path: path, out: out)
            let size = lseek(fd, 0, SEEK_END)
            if mode == .resume, size != off_t(existing?.size ?? 0) {        // it grew or shrank since `scan`
                throw BatchOutputProblem.changed(path: path)
            }
            let keep = mode == .overwrite ? 0 : size - off_t(repairedBytes)
            if keep != size, ftruncate(fd, keep) != 0 {
                throw FileProblem(path: path, reason: "cannot write: " + FileProblem.reason(errno: errno, writing: true))
            }
        } catch {
            close(fd)
            if let held { close(held) }
            throw error
        }
        _ = lseek(fd, 0, SEEK_END)
        destinationLock = held
    }

    /// The lock `.overwrite` holds on the file it will replace (nil when there was none).
    private var destinationLock: Int32?

    /// Takes `flock(LOCK_EX | LOCK_NB)` on the open file `fd` (at `path`), or throws: busy when
    /// another process holds it, and busy too when `path` no longer names `fd`'s file (a run that
    /// held it has just renamed or replaced it: the lock would guard a file no one writes through
    /// `path`).
    private static func lock(_ fd: Int32, path: String, out: String) throws {
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            if code == EWOULDBLOCK { throw BatchOutputProblem.busy(out: out) }
            throw FileProblem(path: path, reason: "cannot lock it: " + FileProblem.reason(errno: code, writing: true))
        }
        guard isFile(fd, at: path) else { throw BatchOutputProblem.busy(out: out) }
    }

    /// Opens and locks the existing `--out` file `out` (nil when there is none): held while
    /// `--overwrite` writes its replacement, so no `--resume` run appends to a file about to be replaced.
    private static func lockExisting(_ out: String) throws -> Int32? {
        let fd = open(out, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }                       // none (or unreadable: the rename decides)
        do { try lock(fd, path: out, out: out) } catch { close(fd); throw error }
        return fd
    }

    /// Whether `path` names the open file `fd` (same device and inode).
    private static func isFile(_ fd: Int32, at path: String) -> Bool {
        var opened = stat(), named = stat()
        guard fstat(fd, &opened) == 0, stat(path, &named) == 0 else { return false }
        return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino
    }

    deinit {
        close(fd)
        if let destinationLock { close(destinationLock) }
    }

    /// Where `--overwrite` writes the records of `out` until the run ends: `OUT.partial`, beside it.
    /// An interrupted or failed run leaves `out` as it was and the records it completed here;
    /// `--overwrite --resume` continues this file.
    static func partialPath(_ out: String) -> String { out + ".partial" }

    /// Renames this file (`--overwrite`'s ``partialPath(_:)``, synchronized) over `destination`:
    /// one rename(2), so `destination` holds either the old records or all the new ones. Only
    /// when `path` still names the file this run wrote: otherwise nothing is renamed.
    func replace(_ destination: String) throws {
        guard Self.isFile(fd, at: path) else { throw BatchOutputProblem.partialGone(path: path, out: destination) }
        guard rename(path, destination) == 0 else {
            let code = errno
            if code == ENOENT { throw BatchOutputProblem.partialGone(path: path, out: destination) }
            throw FileProblem(path: destination, reason: "cannot replace it with \(path): " + FileProblem.reason(errno: code, writing: true))
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
        /// The file's size in bytes when it was read (a run that finds another size refuses).
        var size = 0
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
        var reader = try JSONLReader(path: path, maxLineBytes: InputLimits.resultLineBytes)
        defer { reader.close() }
        var done: [Int: String] = [:]
        var commands: Set<String> = [], modelShapes: Set<String> = []
        var offset = 0, goodEnd = 0, previousEnd = 0, lastIndex: Int?
        while let line = try reader.next() {
            guard case .bytes(let bytes) = line else { throw MergeProblem.tooLong(path: path, line: reader.lineNumber, line) }
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
        return Existing(done: done, repairedBytes: max(0, size - goodEnd), size: size, commands: commands, modelShapes: modelShapes)
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
    case busy(out: String)
    case changed(path: String)
    case partialGone(path: String, out: String)

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
        case .busy(let out):
            "another glassbox batch is writing \(out); wait for it or choose another --out"
        case .changed(let path):
            "\(path) changed while this run was starting (another glassbox batch wrote it); nothing was changed: run again"
        case .partialGone(let path, let out):
            "\(path) was removed or replaced while this run wrote it, so \(out) was left as it was; run again"
        }
    }
}
