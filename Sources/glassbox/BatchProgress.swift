import Foundation
import Glassbox

/// The progress line of `glassbox batch` on stderr: inputs done of the shard's total, the rate,
/// the time left at that rate and the failures so far (a `StatusLine`).
final class BatchProgress: @unchecked Sendable {
    private let total: Int
    private let lock = NSLock()
    private let status = StatusLine()
    private var done = 0, failed = 0

    /// `total`: the inputs this run computes (skipped ones excluded).
    init(total: Int) { self.total = total }

    /// One more input finished (`failed`: it became an error record).
    func advance(failed: Bool) {
        lock.withLock {
            done += 1
            if failed { self.failed += 1 }
            let fraction = total > 0 ? Double(done) / Double(total) : 1
            status.show(line(fraction: fraction), step: Int(fraction * 10), final: done == total)
        }
    }

    /// Inputs per second so far.
    var rate: Double { lock.withLock { Double(done) / max(status.elapsed, 1e-9) } }

    private func line(fraction: Double) -> String {
        let rate = Double(done) / max(status.elapsed, 1e-9)
        let left = rate > 0 ? Double(total - done) / rate : .nan
        let failures = failed > 0 ? "  \(failed) failed" : ""
        return String(format: "batch  [%@] %d/%d  %.2f inputs/s  %@ left%@", AtMan.progressCells(fraction),
                      done, total, rate, Self.duration(left), failures)
    }

    /// `"42 s"`, `"12 min"`, `"3.5 h"`, `"?"`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        return seconds < 120 ? String(format: "%.0f s", seconds)
            : seconds < 7200 ? String(format: "%.0f min", seconds / 60) : String(format: "%.1f h", seconds / 3600)
    }
}
