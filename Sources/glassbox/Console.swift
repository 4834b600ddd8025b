import Foundation
import Glassbox

/// Output helpers: results on stdout, messages on stderr (so `--json` stdout stays one object).
///
/// Everything goes through C's buffered `stdout`/`stderr` (the streams `print` uses, so the order
/// is kept); a failed write never traps. Whether stdout took everything is checked once, at the
/// end, by ``finishStandardOutput()``.
enum Console {
    /// One error line on stderr; control characters in `message` (which may quote input files)
    /// are escaped (`InertText`), newlines included, so the line stays whole and inert.
    static func error(_ message: String) {
        StatusLine.closeOpenLine()
        writeError("glassbox: error: " + InertText.escaped(message) + "\n")
    }

    /// A note or warning on stderr; control characters other than newline are escaped (`InertText`).
    static func note(_ message: String) {
        StatusLine.closeOpenLine()
        writeError(InertText.escaped(message, keepsNewlines: true) + "\n")
    }

    /// `message` as a note on stderr the first time it is given in this process, later silently
    /// (a note about the options, not the input, is then printed once per `glassbox batch`).
    static func noteOnce(_ message: String) {
        if noted.first(message) { note(message) }
    }

    /// The messages ``noteOnce(_:)`` has printed.
    private static let noted = NotedMessages()

    /// A set of messages under a lock (a batch's workers run in parallel).
    private final class NotedMessages: @unchecked Sendable {
        private let lock = NSLock()
        private var messages: Set<String> = []

        /// Whether `message` is new (it is remembered).
        func first(_ message: String) -> Bool { lock.withLock { messages.insert(message).inserted } }
    }

    /// Text on stderr as is; a failed write is ignored. Progress goes through `StatusLine`.
    static func writeError(_ text: String) {
        StandardStreams.writeError(text)
    }

    /// A progress bar on stderr (`ProgressBar`: redrawn in place on a terminal, whole lines
    /// elsewhere), or nothing for an input of `glassbox batch`, which draws one bar for the whole batch.
    static func progress(label: String) -> @Sendable (Int, Int) -> Void {
        if BatchMode.active { return { _, _ in } }
        return ProgressBar.callback(label: label)
    }

    /// Bytes on stdout.
    static func write(_ data: Data) {
        data.withUnsafeBytes { StandardStreams.writeOut($0) }
    }

    /// Prints one JSON value on stdout (sorted keys, so output is stable).
    static func json(_ object: Any) throws {
        write(try jsonData(object))
    }

    /// The bytes `json` prints: sorted keys, a final newline. NaN or ±∞ anywhere is a
    /// `NonFiniteResult` (Foundation's own error would read "not valid JSON").
    static func jsonData(_ object: Any) throws -> Data {
        try JSONOutput.check(object)
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) + Data("\n".utf8)
    }

    /// Flushes stdout and exits when any write to it failed: quietly when the reader has gone
    /// (EPIPE, as in `glassbox … | head -1`, exit status 141 as for SIGPIPE), otherwise with one
    /// line on stderr and exit status 1 (a full disk, a closed descriptor, …).
    static func finishStandardOutput() {
        guard let code = StandardStreams.flushOut() else { return }
        failStandardOutput(code)
    }

    /// Ends the process for a failed write to stdout whose `errno` is `code` (see
    /// ``finishStandardOutput()``).
    static func failStandardOutput(_ code: Int32) -> Never {
        if code == EPIPE { exit(141) }
        let reason = code != 0 ? ": " + String(cString: strerror(code)) : ""
        error("cannot write the output to standard output\(reason)")
        exit(1)
    }
}

/// Whether the current thread computes an input of `glassbox batch` (bound per worker with
/// `BatchMode.$active.withValue(true)`): per-input progress bars are then left out.
enum BatchMode {
    @TaskLocal static var active = false
    /// The memory check of each input of a batch (read before the model loaded, shared by its
    /// workers), or nil outside a batch.
    @TaskLocal static var memory: MemoryGate?
    /// Whether each input's picture is drawn (`batch --pictures`, always a PNG), so that its
    /// memory check counts the PNG's surface.
    @TaskLocal static var drawsPictures = false
}
