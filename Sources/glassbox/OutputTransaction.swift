import Foundation
import Glassbox

/// All or nothing for the files one command writes (the picture, `-heads`, `-neurons`, …): each is
/// drawn to a hidden temporary name in its destination folder, and `commit()` renames them into
/// place only once the whole command has succeeded. A run that fails before `commit()` leaves
/// every existing file untouched (the temporaries are removed when the transaction goes away), and
/// so does a run whose output on stdout could not be written.
/// Within `commit()` a rename that fails puts back the files already replaced.
/// Every temporary is registered with `TemporaryFiles`, so a run ended by SIGINT or SIGTERM
/// removes them too.
///
/// A destination that is a symbolic link is written at the link's target (the link stays); one
/// that exists and is not a regular file (a device such as /dev/null, a FIFO) is written through
/// at `commit()` — its bytes copied into it — and never renamed over.
final class OutputTransaction {
    private var staged: [(temporary: URL, destination: URL, registration: TemporaryFiles.Token?)] = []
    /// The destinations as the user named them, beside `staged` (messages name these).
    private var named: [URL] = []
    private var committed = false

    deinit { if !committed { discard() } }

    /// Draws `figure` for `destination` (format by its extension) without touching it yet;
    /// `option` is the one that named it, for messages (`batch --pictures`).
    @discardableResult
    func render(_ figure: any Figure, to destination: URL, scale: Double = 2, option: String = "--out") throws -> RenderReport {
        if Self.isPage(destination) { throw NoPage() }
        try Self.checkDestination(destination, option: option)
        let temporary = try createTemporary(for: destination)
        do {
            return try figure.render(to: temporary, scale: scale)
        } catch RenderError.unwritable(_, let reason) {
            throw RenderError.unwritable(path: destination.path, reason: reason)
        }
    }

    /// A command's `--json` result: checks `object` (finite, serialisable), prints it on stdout,
    /// then commits the staged files and names `picture` (if one was drawn: a picture or a page)
    /// on stderr.
    func commitJSON(_ object: [String: Any], picture: URL?) throws {
        try JSONOutput.check(object)
        try commitJSON(picture: picture) { try Console.json(object) }
    }

    /// ``commitJSON(_:picture:)`` for JSON that `print` writes to stdout itself (a result too
    /// large to box: ``AttentionJSON``); it throws before printing anything when it cannot.
    func commitJSON(picture: URL?, print: () throws -> Void) throws {
        try print()
        try commit()
        if let picture { Console.note(Self.line(naming: picture)) }
    }

    /// Moves every staged file into place; on a failed rename restores what was replaced.
    /// Called once the command has printed its result: stdout is flushed first, and a failed write
    /// there (a full disk) ends the run before any file is replaced.
    func commit() throws { try commit(naming: []) }

    /// ``commit()`` that names the files on stdout (`lines`: `picture: FILE`, …) once they are in
    /// place, so a file whose write fails is never named. The lines are flushed before the
    /// replaced files' old copies are let go: when stdout fails there, the files are put back as
    /// they were (a written-through device keeps what it got) and the run ends as for any failed
    /// write to stdout.
    func commit(naming lines: [String]) throws {
        if let code = StandardStreams.flushOut() {
            discard()
            Console.failStandardOutput(code)
        }
        var replaced: [(destination: URL, backup: URL?, registration: TemporaryFiles.Token?)] = []
        func restore() {
            for (destination, backup, registration) in replaced.reversed() {
                if let backup { rename(backup.path, destination.path) } else { unlink(destination.path) }
                TemporaryFiles.unregister(registration)
            }
            replaced = []
        }
        do {
            for (i, (temporary, destination, _)) in staged.enumerated() {
                try Self.checkDestination(destination, kind: false)
                if Self.isSpecialFile(destination) {
                    try Self.writeThrough(temporary, into: destination, named: named[i])
                    continue
                }
                var backup: URL?
                if FileManager.default.fileExists(atPath: destination.path) {
                    let name = Self.temporaryName(for: destination, kind: "old")
                    if link(destination.path, name.path) == 0 { backup = name }
                }
                let backupRegistration = backup.flatMap { TemporaryFiles.register($0.path) }
                guard rename(temporary.path, destination.path) == 0 else {
                    let reason = String(cString: strerror(errno))
                    if let backup { unlink(backup.path) }
                    TemporaryFiles.unregister(backupRegistration)
                    throw RenderError.unwritable(path: named[i].path, reason: reason)
                }
                replaced.append((destination, backup, backupRegistration))
            }
        } catch {
            restore()
            discard()
            throw error
        }
        if !lines.isEmpty {
            for line in lines { print(line) }
            if let code = StandardStreams.flushOut() {
                restore()
                discard()
                Console.failStandardOutput(code)
            }
        }
        for case let (_, backup, registration) in replaced {
            if let backup { unlink(backup.path) }
            TemporaryFiles.unregister(registration)
        }
        for entry in staged {
            unlink(entry.temporary.path)                 // gone after a rename; a written-through copy's source
            TemporaryFiles.unregister(entry.registration)
        }
        committed = true
        staged = []
        named = []
    }

    /// Removes the temporaries (the destinations stay as they were).
    func discard() {
        for (temporary, _, registration) in staged {
            unlink(temporary.path)
            TemporaryFiles.unregister(registration)
        }
        staged = []
        named = []
    }

    /// A hidden temporary name beside `destination` for a file the caller writes itself (a
    /// merged JSONL file), put in place by `commit()` like the pictures; `option` is the one that
    /// named it, for messages.
    func stage(_ destination: URL, option: String = "--out") throws -> URL {
        try Self.checkDestination(destination, kind: false, option: option)
        return try createTemporary(for: destination)
    }

    /// Creates the (empty) temporary for `destination` and stages it. Created here, so a folder
    /// that takes no new files (/proc) is reported with the user's path and a reason in words,
    /// not with the temporary's name in Foundation's or cairo's text.
    private func createTemporary(for named: URL) throws -> URL {
        let destination = try Self.target(of: named)
        if let earlier = self.named.first(where: { SameFile.check($0.path, named.path) || (try? Self.target(of: $0)) == destination }) {
            throw UsageMistake("\(earlier.path) and \(named.path) are the same file, and this run writes two outputs there: give each output its own path")
        }
        // A special file's copy waits in the temporary folder: its own folder (/dev) may take no files.
        // It is named after the path given (a link `x.png` to /dev/full), whose extension sets the format.
        let temporary = Self.isSpecialFile(destination)
            ? Self.temporaryName(for: URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(named.lastPathComponent), kind: "new")
            : Self.temporaryName(for: destination, kind: "new")
        let registration = TemporaryFiles.register(temporary.path)
        let created = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard created >= 0 else {
            let code = errno
            TemporaryFiles.unregister(registration)
            let folder = destination.deletingLastPathComponent().path
            let reason = code == ENOENT ? "the folder \(folder) takes no new files" : FileProblem.reason(errno: code, writing: true)
            throw RenderError.unwritable(path: named.path, reason: reason)
        }
        close(created)
        staged.append((temporary, destination, registration))
        self.named.append(named)
        return temporary
    }

    /// Where a write to `url` lands: the final target of a symbolic link (resolved link by link,
    /// relative targets against the link's folder, at most 40 links as the kernel allows), `url`
    /// itself otherwise. A rename onto the link would replace the link and leave its target stale.
    static func target(of url: URL) throws -> URL {
        var current = url.standardizedFileURL
        for _ in 0...40 {
            var info = stat()
            guard lstat(current.path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK,
                  let text = try? FileManager.default.destinationOfSymbolicLink(atPath: current.path) else { return current }
            current = text.hasPrefix("/") ? URL(fileURLWithPath: text)
                : current.deletingLastPathComponent().appendingPathComponent(text)
            current = current.standardizedFileURL
        }
        throw RenderError.unwritable(path: url.path, reason: "it is a chain of more than 40 symbolic links (a loop?)")
    }

    /// Whether `url` exists and is neither a regular file nor a folder (a device, a FIFO, a socket).
    static func isSpecialFile(_ url: URL) -> Bool {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return false }
        let type = info.st_mode & S_IFMT
        return type != S_IFREG && type != S_IFDIR
    }

    /// Copies the finished `temporary` into the existing special file `destination` (opened for
    /// writing, never replaced), then removes the temporary. A write that fails (/dev/full) is an
    /// error naming the user's path `named`.
    private static func writeThrough(_ temporary: URL, into destination: URL, named: URL) throws {
        if isFIFO(destination) {                   // a FIFO without a reader would block forever
            let probe = open(destination.path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            guard probe >= 0 else {
                throw RenderError.unwritable(path: named.path, reason: "it is a FIFO that no process is reading")
            }
            close(probe)
        }
        let out = open(destination.path, O_WRONLY | O_CLOEXEC)
        guard out >= 0 else { throw RenderError.unwritable(path: named.path, reason: FileProblem.reason(errno: errno, writing: true)) }
        defer { close(out) }
        guard let input = FileHandle(forReadingAtPath: temporary.path) else {
            throw RenderError.unwritable(path: named.path, reason: "its staged copy could not be read back")
        }
        defer { try? input.close() }
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            var offset = 0
            while offset < chunk.count {
                let written = chunk.withUnsafeBytes { Glibc.write(out, $0.baseAddress! + offset, chunk.count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw RenderError.unwritable(path: named.path, reason: FileProblem.reason(errno: errno, writing: true))
                }
                offset += written
            }
        }
    }

    private static func isFIFO(_ url: URL) -> Bool {
        var info = stat()
        return stat(url.path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO
    }

    /// What makes a destination impossible before anything is drawn: a file of the loaded model
    /// (`ModelFiles`), a missing or read-only folder, a folder in the file's place, and (with
    /// `kind`) an extension that is neither a picture's nor a page's (`OutputKind`).
    static func checkDestination(_ named: URL, kind: Bool = true, option: String = "--out") throws {
        try ModelFiles.refuse(output: named.path, option: option)
        if kind, OutputKind(named) == nil { throw RenderError.unsupportedExtension(named.path) }
        let url = try target(of: named)
        if isSpecialFile(url) { return }                // written through, its folder untouched
        let folder = url.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) else {
            throw RenderError.unwritable(path: named.path, reason: "the folder \(folder.path) does not exist; create it or choose another \(option)")
        }
        guard isFolder.boolValue else {
            throw RenderError.unwritable(path: named.path, reason: "\(folder.path) is a file, not a folder")
        }
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
            throw RenderError.unwritable(path: named.path, reason: "it is a folder; choose another \(option) or remove the folder")
        }
        guard access(folder.path, W_OK) == 0 else {
            let reason = errno == EROFS ? "the folder \(folder.path) is on a read-only file system"
                : "no permission to write in the folder \(folder.path)"
            throw RenderError.unwritable(path: named.path, reason: reason)
        }
    }

    /// `.NAME.glassbox-PID-RANDOM-KIND.EXT` beside `url` (hidden, same extension so the format holds).
    private static func temporaryName(for url: URL, kind: String) -> URL {
        let ext = url.pathExtension
        let name = ".\(url.lastPathComponent).glassbox-\(getpid())-\(UUID().uuidString.prefix(8))-\(kind)"
        return url.deletingLastPathComponent().appendingPathComponent(ext.isEmpty ? name : name + "." + ext)
    }
}

/// JSON printed once the files are in place is checked before `commit()`, so a value JSON cannot
/// hold (NaN, ±∞) fails the run before anything is replaced.
enum JSONOutput {
    /// Throws `NonFiniteResult` when `object` cannot be printed as JSON (`writesJSON: false`: the
    /// same check for a result only drawn, whose message then does not mention JSON).
    static func check(_ object: Any, writesJSON: Bool = true) throws {
        guard !containsNonFinite(object), JSONSerialization.isValidJSONObject(object) else {
            throw NonFiniteResult(writesJSON: writesJSON)
        }
    }

    /// The pretty JSON of an explanation record (a NaN score is a `NonFiniteResult`).
    static func data(_ record: ExplanationRecord) throws -> Data {
        do { return try record.jsonData() } catch is EncodingError { throw NonFiniteResult() }
    }

    /// The pretty JSON of a sequence explanation record (a NaN score is a `NonFiniteResult`).
    static func data(_ record: SequenceExplanationRecord) throws -> Data {
        do { return try record.jsonData() } catch is EncodingError { throw NonFiniteResult() }
    }

    /// For a result computed from the weights alone (`project`, `neurons`): throws
    /// `NonFiniteResult` naming `what` and the first non-finite value when `object` holds NaN or
    /// ±∞, unless `allowNonfinite` lets the text and the picture show them (JSON never can, so
    /// `json` refuses them either way). Called before anything is drawn, so the text, the
    /// picture and the JSON all refuse the same result.
    static func checkFinite(_ object: [String: Any], what: String, json: Bool, allowNonfinite: Bool) throws {
        guard !allowNonfinite || json, let first = firstNonFinite(object, at: "") else { return }
        throw NonFiniteResult(writesJSON: json, what: what, first: first)
    }

    /// The key path and value of the first NaN or ±∞ in `value` (keys in sorted order, so the
    /// same one each run), e.g. `pairs[0].score = inf`; nil when every number is finite.
    /// Only the branch that holds it is followed down (``containsNonFinite(_:)`` finds it), so no
    /// path is built for the finite elements.
    static func firstNonFinite(_ value: Any, at path: String) -> String? {
        switch value {
        case let d as Double: d.isFinite ? nil : "\(path) = \(d)"
        case let f as Float: f.isFinite ? nil : "\(path) = \(f)"
        case let array as [Any]:
            array.firstIndex(where: containsNonFinite).flatMap { firstNonFinite(array[$0], at: "\(path)[\($0)]") }
        case let object as [String: Any]:
            object.keys.sorted().first { containsNonFinite(object[$0]!) }
                .flatMap { firstNonFinite(object[$0]!, at: path.isEmpty ? $0 : "\(path).\($0)") }
        default: nil
        }
    }

    private static func containsNonFinite(_ value: Any) -> Bool {
        switch value {
        case let d as Double: !d.isFinite
        case let f as Float: !f.isFinite
        case let array as [Any]: array.contains(where: containsNonFinite)
        case let object as [String: Any]: object.values.contains(where: containsNonFinite)
        default: false
        }
    }
}

/// A result that holds NaN or infinite numbers, which JSON cannot represent: the one message
/// every command gives for it (`Console.jsonData` checks every JSON output).
struct NonFiniteResult: Error, LocalizedError {
    /// Whether the run was to write JSON (the message then says JSON cannot hold such numbers).
    var writesJSON = true
    /// What holds them, for a result computed from the weights alone (e.g. "layer 0 head 0's OV
    /// token-pair scores"); nil: "the result", computed by a forward pass.
    var what: String? = nil
    /// The first such value with its JSON key path (`pairs[0].score = inf`), when known.
    var first: String? = nil

    var errorDescription: String? {
        guard let what else {
            return "the result holds values that are not finite numbers (NaN or ±infinity)"
                + (writesJSON ? ", which JSON cannot represent" : "")
                + "; the model's weights or activations overflow or are corrupt (`glassbox predict --trace` shows where)"
        }
        return "\(what) hold values that are not finite numbers (NaN or ±infinity)" + (first.map { " (first: \($0))" } ?? "")
            + (writesJSON ? ", which JSON cannot represent" : "")
            + "; the model's weights overflow Float32 in this computation, or are corrupt"
            + (writesJSON ? "" : " (--allow-nonfinite prints and draws them anyway)")
    }
}
