// Only C's stdio here: `stdout`/`stderr` are C globals, usable under Swift 6 concurrency checking
// only through a @preconcurrency import (which must not be shadowed by Foundation's import).
@preconcurrency import Glibc

/// The C streams `print` writes to; a failed write never traps.
enum StandardStreams {
    /// Bytes on stdout (buffered, with `print`'s output in order).
    static func writeOut(_ bytes: UnsafeRawBufferPointer) {
        if let base = bytes.baseAddress { _ = fwrite(base, 1, bytes.count, stdout) }
    }

    /// Text on stderr, flushed; a failure is ignored (there is nowhere left to report it).
    static func writeError(_ text: String) {
        fputs(text, stderr)
        fflush(stderr)
    }

    /// SIGPIPE back to its default (a parent may have left it ignored): a write into a closed
    /// pipe then ends the process quietly, as for every command-line tool.
    static func restoreDefaultSIGPIPE() {
        signal(SIGPIPE, SIG_DFL)
    }

    /// Flushes stdout: `nil` when everything written to it arrived, else the `errno` of the
    /// failure (0 when the error happened in an earlier, automatic flush).
    static func flushOut() -> Int32? {
        errno = 0
        let flushFailed = fflush(stdout) != 0
        let code = errno
        guard flushFailed || ferror(stdout) != 0 else { return nil }
        return flushFailed ? code : 0
    }
}
