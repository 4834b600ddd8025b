import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `--threads` above 4 per core (at least 256) is bad usage, exit 2 with one line; the maximum
/// itself runs.
final class ThreadLimitTests: XCTestCase {
    let tiny = "Tests/Fixtures/models/gpt2-tiny"

    func testThreadCountIsCapped() throws {
        let limit = Threading.maximumThreads
        XCTAssertEqual(limit, max(256, 4 * ProcessInfo.processInfo.activeProcessorCount))
        for count in [limit + 1, 100_000] {
            let out = try runGlassbox(["predict", "--model", tiny, "--ids", "1,2", "--threads", "\(count)"])
            XCTAssertEqual(out.status, 2, out.stderr)
            XCTAssertEqual(out.stderrLines.count, 1, out.stderr)
            XCTAssertTrue(out.stderr.contains("--threads must be at most \(limit)"), out.stderr)
        }
        let ok = try runGlassbox(["predict", "--model", tiny, "--ids", "1,2", "--threads", "\(limit)"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        // The library clamps too.
        let before = Threading.threads
        Threading.setThreads(1_000_000)
        XCTAssertEqual(Threading.threads, limit)
        Threading.setThreads(before)
    }
}
