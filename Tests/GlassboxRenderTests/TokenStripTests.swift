import Foundation
import GlassboxRender
import XCTest

/// Token strips: colours by score (white at zero), wrapping, the target frame, any script.
final class TokenStripTests: RenderTestCase {
    private let tokens = ["The", " Eiffel", " Tower", " is", " in", "\n", " Paris", " and", " it", " is", " tall"]
    private let scores = [0.0, 0.8, 0.4, -0.4, -0.8, 0.1, 0.2, 0.0, -0.2, 0.3, 0.05]

    /// A point inside token i's box, in its left padding (never on a glyph).
    private func padding(_ report: RenderReport, _ i: Int) throws -> (Double, Double) {
        let r = try XCTUnwrap(report.regions[.token(i)])
        return (r.x + 1.5, r.midY)
    }

    func testBackgroundsFollowTheDivergingScale() throws {
        let strip = TokenStrip(tokens: tokens, scores: scores, target: 6, title: "Relevance", scoreLabel: "relevance")
        let (report, picture) = try renderPNG(strip)
        let scale = strip.colorScale
        XCTAssertEqual([scale.lower, scale.upper], [-0.8, 0.8], "symmetric around zero")
        for i in [1, 2, 3, 4, 8] {
            let (x, y) = try padding(report, i)
            assertColor(picture.color(x, y), scale.color(scores[i]), tolerance: 3, "token \(i)")
        }
        let (x0, y0) = try padding(report, 0)
        assertColor(picture.color(x0, y0), .white, tolerance: 0, "a zero score is white")
        XCTAssertEqual(report.warnings, [])
    }

    func testPNGSignatureAndSizeMatchTheReport() throws {
        let url = file("strip.png")
        let report = try TokenStrip(tokens: tokens, scores: scores).render(to: url, scale: 2)
        let data = try Data(contentsOf: url)
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertEqual(pngSize(data), [Int(report.size.width * 2), Int(report.size.height * 2)])
    }

    func testNewlinesAndNarrowWidthsWrapOntoLines() throws {
        let strip = TokenStrip(tokens: tokens, scores: scores, lineWidth: 120)
        let (report, _) = try renderPNG(strip)
        let ys = try tokens.indices.map { try XCTUnwrap(report.regions[.token($0)]).y }
        XCTAssertGreaterThan(ys[6], ys[5], "the token after a newline starts a new line")
        XCTAssertEqual(ys[0], ys[1])
        XCTAssertGreaterThanOrEqual(Set(ys).count, 3, "a 120-point width needs several lines")
        let left = try XCTUnwrap(report.regions[.plot]).x
        for i in tokens.indices {
            let r = try XCTUnwrap(report.regions[.token(i)])
            XCTAssertLessThanOrEqual(r.maxX - left, 120 + 0.01, "token \(i) passes the line width")
        }
    }

    func testTargetIsFramed() throws {
        let (report, picture) = try renderPNG(TokenStrip(tokens: tokens, scores: scores, target: 0))
        let r = try XCTUnwrap(report.regions[.token(0)])
        // The frame is drawn 1 point outside the (white) box: dark pixels there, none for token 7.
        let frame = picture.color(r.midX, r.y - 1)
        XCTAssertLessThan(frame.r + frame.g + frame.b, 200, "dark frame above the target")
        let other = try XCTUnwrap(report.regions[.token(7)])
        XCTAssertEqual(picture.inkPixels(in: Rect(x: other.x + 4, y: other.y - 1.6, width: other.width - 8, height: 1.2)), 0)
        XCTAssertNotNil(report.regions[.legend], "the target is explained in a legend")
    }

    func testLabelsAndColourBarHaveInk() throws {
        let (report, picture) = try renderPNG(TokenStrip(tokens: tokens, scores: scores, title: "Title"))
        XCTAssertGreaterThan(picture.inkPixels(in: try XCTUnwrap(report.regions[.title])), 50)
        XCTAssertGreaterThan(picture.inkPixels(in: try XCTUnwrap(report.regions[.colorBar])), 500)
        let token = try XCTUnwrap(report.regions[.token(1)])
        XCTAssertGreaterThan(picture.inkPixels(in: token, tolerance: 200), 20, "text on the token")
    }

    func testCJKAndEmojiRenderWithoutMissingGlyphs() throws {
        let (report, picture) = try renderPNG(TokenStrip(tokens: ["日本", "語", " 🎉", " café"], scores: [0.5, -0.5, 0, 0.1]))
        XCTAssertEqual(report.warnings, [], "CJK and emoji need fonts-wqy-microhei and fonts-noto-color-emoji")
        let emoji = try XCTUnwrap(report.regions[.token(2)])
        XCTAssertGreaterThan(picture.inkPixels(in: emoji), 40, "the emoji is drawn")
    }

    func testMissingGlyphsAreReported() throws {
        let (report, _) = try renderPNG(TokenStrip(tokens: ["ok", "\u{E000}", "x\u{F0000}"], scores: [0, 0, 0]))
        XCTAssertEqual(report.warnings, [
            .missingGlyphs(text: "\u{E000}", codepoints: [0xE000]),
            .missingGlyphs(text: "x\u{F0000}", codepoints: [0xF0000]),
        ])
        XCTAssertEqual(report.missingGlyphCount, 2)
        XCTAssertTrue(report.warnings[0].description.contains("U+E000"), report.warnings[0].description)
    }

    /// A text repeating missing characters gives one short warning: each code point once, at
    /// most 10 listed then "and N more", the text quoted shortened (it was one 17 KB line).
    func testMissingGlyphWarningIsDeduplicatedAndShort() throws {
        let (report, _) = try renderPNG(TokenStrip(tokens: ["ok", String(repeating: "\u{E000}", count: 500)], scores: [0, 0]))
        guard case .missingGlyphs(_, let drawn)? = report.warnings.first else { return XCTFail("\(report.warnings)") }
        XCTAssertEqual(drawn, [0xE000], "each missing code point once")

        let distinct = (0xE001...0xE014).map { String(UnicodeScalar($0)!) }.joined()
        let text = String(repeating: "\u{E000}", count: 500) + distinct
        let line = RenderWarning.missingGlyphs(text: text, codepoints: Array(repeating: 0xE000, count: 500) + (0xE001...0xE014).map(UInt32.init))
            .description
        XCTAssertEqual(line.components(separatedBy: "U+E000").count - 1, 1, line)
        XCTAssertTrue(line.contains("U+E009 and 11 more"), line)
        XCTAssertLessThan(line.count, 300, line)
    }

    func testInconsistentInputIsRejectedBeforeWriting() throws {
        XCTAssertThrowsError(try TokenStrip(tokens: ["a"], scores: [1, 2]).render(to: file("x.png"))) {
            XCTAssertEqual($0 as? RenderError, .invalidInput("1 tokens but 2 scores"))
        }
        XCTAssertThrowsError(try TokenStrip(tokens: ["a"], scores: [1], target: 3).render(to: file("x.png")))
        XCTAssertThrowsError(try TokenStrip(tokens: [], scores: []).render(to: file("x.png")))
        XCTAssertEqual(try leftovers(), [])
    }
}
