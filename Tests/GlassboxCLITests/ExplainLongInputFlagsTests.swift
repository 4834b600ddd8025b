import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `explain --attention` and `--checkpoint` end to end (methods §2.3): every combination gives the
/// same scores on a 100-token input (two blocks of 64), and bad values are usage errors.
final class ExplainLongInputFlagsTests: XCTestCase {
    func testAttentionAndCheckpointGiveTheSameScores() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-long-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let ids = (0..<100).map { String(($0 * 37 + 11) % 128) }.joined(separator: ",")
        var scores: [String: [Double]] = [:]
        for (attention, checkpoint) in [("unblocked", "off"), ("auto", "auto"), ("blocked", "on"), ("unblocked", "on")] {
            let output = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/gpt2-long", "--ids", ids, "--json",
                                          "--attention", attention, "--checkpoint", checkpoint,
                                          "--out", folder.appendingPathComponent("\(attention)-\(checkpoint).png").path])
            XCTAssertEqual(output.status, 0, output.stderr)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
            scores["\(attention) \(checkpoint)"] = try XCTUnwrap(object["tokens"] as? [[String: Any]]).map { try XCTUnwrap($0["score"] as? Double) }
        }
        let reference = try XCTUnwrap(scores["unblocked off"])
        let scale = reference.map(abs).max() ?? 0
        XCTAssertGreaterThan(scale, 0)
        for (key, ours) in scores {
            XCTAssertEqual(ours.count, 100, key)
            XCTAssertLessThanOrEqual(zip(ours, reference).map { abs($0 - $1) }.max() ?? .infinity, 1e-5 * scale, key)
        }
        for bad in [["--checkpoint", "sometimes"], ["--attention", "tiled"]] {
            let refused = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/gpt2-long", "--ids", "1,2,3"] + bad)
            XCTAssertEqual(refused.status, 2, bad.joined(separator: " "))
            XCTAssertTrue(refused.stderr.contains(bad[0]), refused.stderr)
        }
    }
}
