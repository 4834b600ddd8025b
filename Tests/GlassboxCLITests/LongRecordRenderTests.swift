import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox render` and `explain --top K` on long inputs: a synthetic 16,384-token explanation
/// record is redrawn whole (one picture) and as its highest-scoring tokens in context.
final class LongRecordRenderTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("long-render") }

    /// A gpt2 record of `n` tokens with seeded scores in −1…1 and one token at +5 (position 9,000).
    static func record(_ n: Int = 16_384) -> ExplanationRecord {
        let words = [" the", " model", " of", " relevance", "\n", " a", " long", " input", " token", ","]
        var state: UInt64 = 7
        let tokens = (0..<n).map { i -> ExplanationRecord.Token in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let score = i == 9_000 ? 5 : Double((state >> 11) % 2001) / 1000 - 1
            return ExplanationRecord.Token(id: Int((state >> 33) % 10), text: words[Int((state >> 33) % 10)], start: nil, end: nil, score: score)
        }
        return ExplanationRecord(
            model: .init(name: "synthetic", path: "synthetic", architecture: "gpt2", layers: 2, heads: 2), method: "attnlrp",
            parameters: ["method": "attnlrp"], target: .init(id: 3, text: " end", position: n - 1, logit: 1, prob: 0.5),
            tokens: tokens, extra: .init(targetIndex: n - 1))
    }

    /// Width and height from a PNG's IHDR.
    private func pngSize(_ url: URL) throws -> [Int] {
        let b = [UInt8](try Data(contentsOf: url).prefix(24))
        XCTAssertEqual(Array(b.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "a PNG")
        return [16, 20].map { o in b[o..<(o + 4)].reduce(0) { $0 << 8 | Int($1) } }
    }

    func testA16kTokenRecordRendersWholeAndAsItsTopTokens() throws {
        let saved = folder.appendingPathComponent("long.json")
        try JSONEncoder().encode(Self.record()).write(to: saved)

        let whole = folder.appendingPathComponent("whole.png")
        let render = try runGlassbox(["render", saved.path, "--out", whole.path])
        XCTAssertEqual(render.status, 0, render.stderr)
        let size = try pngSize(whole)
        XCTAssertTrue(size[0] > 1_280 && size[0] <= 32_000 && size[1] > 10_000 && size[1] <= 32_000, "\(size)")

        let top = folder.appendingPathComponent("top.png")
        let topRender = try runGlassbox(["render", saved.path, "--top", "10", "--out", top.path])
        XCTAssertEqual(topRender.status, 0, topRender.stderr)
        let topSize = try pngSize(top)
        XCTAssertTrue(topSize[1] < 1_200 && topSize[0] < 4_000, "ten lines, not the whole input: \(topSize)")
        // The library's view of the same record: position 9,000 (+5) is listed first.
        let figure = try Self.record().figure(top: 10)
        let view = try XCTUnwrap(figure as? TopTokens)
        XCTAssertEqual(view.listed.first, 9_000)
        XCTAssertEqual(view.listed.count, 10)
        XCTAssertFalse(view.listed.contains(16_384), "the appended prediction is never listed")
        XCTAssertTrue(view.appendsTarget, "the legend counts the 16,384 input tokens, not the appended prediction")
    }

    func testTopIsValidatedForRenderAndExplain() throws {
        let saved = folder.appendingPathComponent("short.json")
        try JSONEncoder().encode(Self.record(20)).write(to: saved)
        let zero = try runGlassbox(["render", saved.path, "--top", "0", "--out", folder.appendingPathComponent("z.png").path])
        XCTAssertEqual(zero.status, 2)
        XCTAssertEqual(zero.stderrLines.count, 1, zero.stderr)
        XCTAssertTrue(zero.stderr.contains("--top must be at least 1"), zero.stderr)

        let out = folder.appendingPathComponent("explain-top.png")
        let explain = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/gpt2-odd", "--ids", "5,8,13,21,34,55",
                                       "--top", "2", "--out", out.path])
        XCTAssertEqual(explain.status, 0, explain.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.path))
    }
}
