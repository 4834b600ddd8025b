import Foundation
import GlassboxTestSupport
import XCTest

/// Bounds and values of the fifth review: `batch --workers` bounded as `--threads` (100000 was
/// accepted), `trace --samples` bounded as `evaluate --random-seeds` (no bound), and `generate
/// --top-p 1e-300` accepted as transformers accepts it (it was refused as "got 0.0"; a refused
/// value is now printed as typed, `--top-p 0` as "got 0").
final class HostileReview5Tests: XCTestCase {
    private let tiny = "Tests/Fixtures/models/gpt2-tiny"

    /// Exit 2 and one error line holding every fragment.
    private func assertBadUsage(_ arguments: [String], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try runGlassbox(arguments)
        XCTAssertEqual(run.status, 2, run.stderr, file: file, line: line)
        XCTAssertEqual(run.stderrLines.filter { $0.hasPrefix("glassbox: error:") }.count, 1, run.stderr, file: file, line: line)
        for fragment in fragments { XCTAssertTrue(run.stderr.contains(fragment), "\(fragment): \(run.stderr)", file: file, line: line) }
    }

    func testWorkersAreBoundedAsThreads() throws {
        let maximum = max(256, 4 * ProcessInfo.processInfo.activeProcessorCount)
        for option in ["--workers", "--threads"] {
            try assertBadUsage(["batch", "--model", tiny, "--in", "in.jsonl", "--out", "out.jsonl", option, "100000"],
                               ["\(option) must be at most \(maximum) (4 per core, at least 256), got 100000"])
        }
    }

    func testTraceSamplesAreBounded() throws {
        try assertBadUsage(["trace", "--model", tiny, "--ids", "1,2,3,4", "--noise-span", "0:2", "--samples", "100000000"],
                           ["--samples must be at most 1000", "got 100000000"])
        try assertBadUsage(["trace", "--model", tiny, "--ids", "1,2,3,4", "--noise-span", "0:2", "--samples", "1001"],
                           ["--samples must be at most 1000"])
    }

    /// 0 < top-p ≤ 1 as in transformers: 1e-300 (below Float's smallest) keeps only the most
    /// probable token, so sampling is greedy decoding; values outside are printed as given.
    func testTinyTopPIsAcceptedAndKeepsTheTopToken() throws {
        let base = ["generate", "--model", tiny, "--ids", "5,6,7", "--max-tokens", "10"]
        let greedy = try runGlassbox(base)
        XCTAssertEqual(greedy.status, 0, greedy.stderr)
        for seed in ["1", "2"] {
            let tiny = try runGlassbox(base + ["--top-p", "1e-300", "--temperature", "5", "--seed", seed])
            XCTAssertEqual(tiny.status, 0, tiny.stderr)
            XCTAssertEqual(tiny.stdout, greedy.stdout)
        }
        try assertBadUsage(base + ["--top-p", "0"], ["--top-p: top-p must be in (0, 1], got 0 (see"])
        try assertBadUsage(base + ["--top-p", "1.5"], ["--top-p: top-p must be in (0, 1], got 1.5"])
        try assertBadUsage(base + ["--top-p", "-1e-300"], ["got -1e-300"])
    }
}
