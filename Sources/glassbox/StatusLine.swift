import Foundation
import Glassbox
#if canImport(Glibc)
import Glibc
#endif

/// A line of progress on stderr that suits where stderr goes. On a terminal it is redrawn in
/// place (`\r`, at most ten times a second) and ended with a newline when the work is done, or
/// before any message (`Console.note`, `Console.error`) so the message starts a line of its own.
/// Anywhere else (a log file, a pipe) there is no `\r`: a whole line now and then — when the work
/// is done, at a new tenth of it once a second has passed, and at least every five seconds.
final class StatusLine: @unchecked Sendable {
    /// Whether stderr is a terminal (checked once).
    static let isTerminal = isatty(2) == 1

    private let lock = NSLock()
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var lastStep = -1
    private var finished = false

    /// A new line, not drawn yet.
    init() {}

    /// Shows `text` (no control characters): `step` is the tenth of the work reached (nil when
    /// the total is not known), `final` ends the line.
    func show(_ text: String, step: Int? = nil, final: Bool = false) {
        lock.withLock {
            guard !finished else { return }
            let now = Date()
            if Self.isTerminal {
                guard final || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
                StatusLine.write("\r" + text + (final ? "\n" : ""), open: !final)
            } else {
                let since = now.timeIntervalSince(lastDraw == .distantPast ? started : lastDraw)
                let newStep = step.map { $0 > lastStep } ?? false
                guard final || since >= 5 || (newStep && since >= 1) else { return }
                StatusLine.write(text + "\n", open: false)
                if let step { lastStep = step }
            }
            lastDraw = now
            finished = final
        }
    }

    /// Ends the line on a terminal (a newline after the last text drawn) without a final text.
    func finish() {
        lock.withLock {
            finished = true
            StatusLine.closeOpenLine()
        }
    }

    /// Seconds since the line was made.
    var elapsed: Double { Date().timeIntervalSince(started) }

    private static let openLock = NSLock()
    nonisolated(unsafe) private static var open = false

    private static func write(_ text: String, open: Bool) {
        openLock.withLock {
            StandardStreams.writeError(text)
            Self.open = open
        }
    }

    /// A newline when a progress line is still open on the terminal, so the next text starts a
    /// line of its own.
    static func closeOpenLine() {
        openLock.withLock {
            if open { StandardStreams.writeError("\n") }
            open = false
        }
    }
}

/// A progress bar for `(done, total)` units of work on a `StatusLine`:
/// `evaluate  [#####-----]  50%  3.2 s`.
struct ProgressBar {
    /// The bar's progress callback, labelled `label`.
    static func callback(label: String) -> @Sendable (Int, Int) -> Void {
        let line = StatusLine()
        return { done, total in
            let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
            line.show(AtMan.progressText(label: label, fraction: fraction, elapsed: line.elapsed), step: Int(fraction * 10),
                      final: done >= total)
        }
    }
}
