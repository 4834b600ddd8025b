import Foundation
import GlassboxTestSupport
import XCTest

/// Cases of the fourth review (what the third review's fixes left open): `render --with` on
/// SentencePiece texts, two outputs on one file through a dangling link, a symbolic-link loop as
/// `--out`, temporaries left by a closed pipe, and `--resume` with a copy of the model elsewhere.
final class HostileReview4Tests: XCTestCase {
    private var folder: URL!
    private let tiny = "Tests/Fixtures/models/gpt2-tiny"

    override func setUpWithError() throws { folder = try makeTemporaryFolder("hostile4") }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A sequence explanation and a single explanation of the same ids on a SentencePiece model
    /// (whose records spell a token with and without its leading space) make one page; tokens are
    /// compared by id. A different id is still refused.
    func testWithAcceptsTheSameIdsWhateverTheirSpelling() throws {
        let model = "Tests/Fixtures/models/llama-gqa"
        let sequence = try runGlassbox(["explain", "--model", model, "--ids", "1,20,33,28", "--generate", "4", "--json", "--out", path("s.png")])
        XCTAssertEqual(sequence.status, 0, sequence.stderr)
        try Data(sequence.stdout.utf8).write(to: URL(fileURLWithPath: path("seq.json")))
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sequence.stdout.utf8)) as? [String: Any])
        let ids = try XCTUnwrap((record["tokens"] as? [[String: Any]])?.compactMap { $0["id"] as? Int })
        XCTAssertEqual(ids.count, 8)
        let single = try runGlassbox(["explain", "--model", model, "--ids", ids.map(String.init).joined(separator: ","), "--json", "--out", path("x.png")])
        XCTAssertEqual(single.status, 0, single.stderr)
        try Data(single.stdout.utf8).write(to: URL(fileURLWithPath: path("single.json")))
        let page = try runGlassbox(["render", path("seq.json"), "--with", path("single.json"), "--out", path("w.html")])
        XCTAssertEqual(page.status, 0, page.stderr)

        var changed = ids
        changed[6] = (changed[6] + 1) % 128
        let other = try runGlassbox(["explain", "--model", model, "--ids", changed.map(String.init).joined(separator: ","), "--json", "--out", path("y.png")])
        try Data(other.stdout.utf8).write(to: URL(fileURLWithPath: path("other.json")))
        let refused = try runGlassbox(["render", path("seq.json"), "--with", path("other.json"), "--out", path("v.html")])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("other.json: not an explanation of the same input (its token 6 is id \(changed[6])"), refused.stderr)
    }

    /// `--save-json` through a link to the picture that does not exist yet wrote the JSON over the
    /// picture: bad usage, nothing written.
    func testTwoOutputsThroughADanglingLinkAreBadUsage() throws {
        try FileManager.default.createSymbolicLink(atPath: path("e.json"), withDestinationPath: "e.png")
        try "{\"ids\": [1, 2, 3, 4, 5]}\n".write(toFile: path("p.jsonl"), atomically: true, encoding: .utf8)
        let run = try runGlassbox(["evaluate", "--model", tiny, "--prompts", path("p.jsonl"), "--methods", "rollout",
                                   "--out", path("e.png"), "--save-json", path("e.json")])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("e.png")))
    }

    /// A loop of symbolic links as `--out` is an error and stays a loop (it was replaced by a file).
    func testASymbolicLinkLoopIsAnError() throws {
        try FileManager.default.createSymbolicLink(atPath: path("a.png"), withDestinationPath: "b.png")
        try FileManager.default.createSymbolicLink(atPath: path("b.png"), withDestinationPath: "a.png")
        let run = try runGlassbox(["explain", "--model", tiny, "--ids", "1,2,3", "--out", path("a.png")])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("more than 40 symbolic links"), run.stderr)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path("a.png")), "b.png")
    }

    /// A reader that closes the pipe early ends the run by SIGPIPE; the staged picture is removed
    /// as on SIGINT/SIGTERM (it was left as `.x.png.glassbox-…-new.png`).
    func testAClosedPipeLeavesNoTemporaries() throws {
        let ids = (0..<200).map { String($0 % 100) }.joined(separator: ",")      // a JSON result beyond the pipe's buffer
        let run = try runGlassboxShell("\"$GLASSBOX\" attention --model Tests/Fixtures/models/gpt2-long --ids \(ids) --json --out \"\(path("x.png"))\" | head -c 10 > /dev/null")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
    }

    /// `--resume` with the same checkpoint at another path (a shard moved to another machine)
    /// continues; a file of a model of another shape is refused.
    func testResumeComparesTheModelNotItsPath() throws {
        let inputs = path("in.jsonl")
        try "{\"id\":\"a\",\"ids\":[1,2,3]}\n{\"id\":\"b\",\"ids\":[4,5]}\n{\"id\":\"c\",\"ids\":[6]}\n"
            .write(toFile: inputs, atomically: true, encoding: .utf8)
        let copy = folder.appendingPathComponent("copy")
        try FileManager.default.copyItem(at: Fixtures.model("gpt2-tiny"), to: copy)
        let first = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", path("r.jsonl"), "--command", "predict", "--shard", "0/2"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let other = try runGlassbox(["batch", "--model", "Tests/Fixtures/models/llama-gqa", "--in", inputs, "--out", path("r.jsonl"),
                                     "--command", "predict", "--shard", "0/2", "--resume"])
        XCTAssertEqual(other.status, 1, other.stderr)
        XCTAssertTrue(other.stderr.contains("holds results of a gpt2, 2 layers, 4 heads model, not a llama"), other.stderr)
        try "{\"id\":\"a\",\"ids\":[1,2,3]}\n{\"id\":\"b\",\"ids\":[4,5]}\n{\"id\":\"c\",\"ids\":[6]}\n{\"id\":\"d\",\"ids\":[7]}\n{\"id\":\"e\",\"ids\":[8]}\n"
            .write(toFile: inputs, atomically: true, encoding: .utf8)
        let moved = try runGlassbox(["batch", "--model", copy.path, "--in", inputs, "--out", path("r.jsonl"), "--command", "predict", "--shard", "0/2", "--resume"])
        XCTAssertEqual(moved.status, 0, moved.stderr)
        XCTAssertEqual(try String(contentsOfFile: path("r.jsonl"), encoding: .utf8).split(separator: "\n").count, 3)
    }
}
