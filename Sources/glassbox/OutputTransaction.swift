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
final class OutputTransaction {
    private var staged: [(temporary: URL, destination: URL, registration: TemporaryFiles.Token?)] = []
    private var committed = false

    deinit { if !committed { discard() } }

    /// Draws `figure` for `destination` (format by its extension) without touching it yet.
    @discardableResult
    func render(_ figure: any Figure, to destination: URL, scale: Double = 2) throws -> RenderReport {
        if Self.isPage(destination) { throw NoPage() }
        try Self.checkDestination(destination)
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
        try Console.json(object)
        try commit()
        if let picture { Console.note(Self.line(naming: picture)) }
    }

    /// Moves every staged file into place; on a failed rename restores what was replaced.
    /// Called once the command has printed its result: stdout is flushed first, and a failed write
    /// there (a full disk) ends the run before any file is replaced.
    func commit() throws {
        if let code = StandardStreams.flushOut() {
            discard()
            Console.failStandardOutput(code)
        }
        var replaced: [(destination: URL, backup: URL?)] = []
        do {
            for (temporary, destination, _) in staged {
                try Self.checkDestination(destination, kind: false)
                var backup: URL?
                if FileManager.default.fileExists(atPath: destination.path) {
                    let name = Self.temporaryName(for: destination, kind: "old")
                    if link(destination.path, name.path) == 0 { backup = name }
                }
                let backupRegistration = backup.flatMap { TemporaryFiles.register($0.path) }
                defer { TemporaryFiles.unregister(backupRegistration) }
                guard rename(temporary.path, destination.path) == 0 else {
                    let reason = String(cString: strerror(errno))
                    if let backup { unlink(backup.path) }
                    throw RenderError.unwritable(path: destination.path, reason: reason)
                }
                replaced.append((destination, backup))
            }
        } catch {
            for (destination, backup) in replaced.reversed() {
                if let backup { rename(backup.path, destination.path) } else { unlink(destination.path) }
            }
            discard()
            throw error
        }
        for case let (_, backup?) in replaced { unlink(backup.path) }
        for entry in staged { TemporaryFiles.unregister(entry.registration) }
        committed = true
        staged = []
    }

    /// Removes the temporaries (the destinations stay as they were).
    func discard() {
        for (temporary, _, registration) in staged {
            unlink(temporary.path)
            TemporaryFiles.unregister(registration)
        }
        staged = []
    }

    /// A hidden temporary name beside `destination` for a file the caller writes itself (a
    /// merged JSONL file), put in place by `commit()` like the pictures.
    func stage(_ destination: URL) throws -> URL {
        try Self.checkDestination(destination, kind: false)
        return try createTemporary(for: destination)
    }

    /// Creates the (empty) temporary for `destination` and stages it. Created here, so a folder
    /// that takes no new files (/proc) is reported with the user's path and a reason in words,
    /// not with the temporary's name in Foundation's or cairo's text.
    private func createTemporary(for destination: URL) throws -> URL {
        let temporary = Self.temporaryName(for: destination, kind: "new")
        let registration = TemporaryFiles.register(temporary.path)
        let created = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard created >= 0 else {
            let code = errno
            TemporaryFiles.unregister(registration)
            let folder = destination.deletingLastPathComponent().path
            let reason = code == ENOENT ? "the folder \(folder) takes no new files" : FileProblem.reason(errno: code, writing: true)
            throw RenderError.unwritable(path: destination.path, reason: reason)
        }
        close(created)
        staged.append((temporary, destination, registration))
        return temporary
    }

    /// What makes a destination impossible before anything is drawn: a missing or read-only
    /// folder, a folder in the file's place, and (with `kind`) an extension that is neither a
    /// picture's nor a page's (`OutputKind`).
    static func checkDestination(_ url: URL, kind: Bool = true) throws {
        if kind, OutputKind(url) == nil { throw RenderError.unsupportedExtension(url.path) }
        let folder = url.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) else {
            throw RenderError.unwritable(path: url.path, reason: "the folder \(folder.path) does not exist; create it or choose another --out")
        }
        guard isFolder.boolValue else {
            throw RenderError.unwritable(path: url.path, reason: "\(folder.path) is a file, not a folder")
        }
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
            throw RenderError.unwritable(path: url.path, reason: "it is a folder; choose another --out or remove the folder")
        }
        guard access(folder.path, W_OK) == 0 else {
            let reason = errno == EROFS ? "the folder \(folder.path) is on a read-only file system"
                : "no permission to write in the folder \(folder.path)"
            throw RenderError.unwritable(path: url.path, reason: reason)
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

    var errorDescription: String? {
        "the result holds values that are not finite numbers (NaN or ±infinity)"
            + (writesJSON ? ", which JSON cannot represent" : "")
            + "; the model's weights or activations overflow or are corrupt (`glassbox predict --trace` shows where)"
    }
}
