import Foundation
import GlassboxTestSupport
import XCTest

/// `picture: FILE` names a file only once it is in place: a picture whose final write fails (a
/// link to /dev/full, written through at the commit) was named on stdout before the error.
final class PictureLineAfterCommitTests: XCTestCase {
    private let tiny = "Tests/Fixtures/models/gpt2-tiny"
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("picture-line") }

    func testAFailedFinalWriteIsNotNamed() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/dev/full"), "needs /dev/full")
        let full = folder.appendingPathComponent("full.png").path
        try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: "/dev/full")
        let lens = folder.appendingPathComponent("lens.json").path
        let made = try runGlassbox(["lens", "--model", tiny, "--ids", "1,2,3", "--json", "--out", folder.appendingPathComponent("l.png").path])
        XCTAssertEqual(made.status, 0, made.stderr)
        try made.stdout.write(toFile: lens, atomically: true, encoding: .utf8)
        let runs: [[String]] = [
            ["explain", "--model", tiny, "--ids", "1,2,3", "--method", "rollout", "--out", full],
            ["lens", "--model", tiny, "--ids", "1,2,3", "--out", full],
            ["attention", "--model", tiny, "--ids", "1,2,3", "--out", full],
            ["render", lens, "--out", full],
        ]
        for arguments in runs {
            let run = try runGlassbox(arguments)
            XCTAssertEqual(run.status, 1, "\(arguments[0]): \(run.stderr)")
            XCTAssertEqual(run.stderrLines.last, "glassbox: error: cannot write \(full): the disk is full", arguments[0])
            XCTAssertFalse(run.stdout.contains("picture:"), "\(arguments[0]) named a picture it did not write: \(run.stdout)")
        }
        // A picture that is written is still named, last.
        let written = folder.appendingPathComponent("ok.png").path
        let ok = try runGlassbox(["lens", "--model", tiny, "--ids", "1,2,3", "--out", written])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stdout.split(separator: "\n").last.map(String.init), "picture: \(written)")
    }
}
