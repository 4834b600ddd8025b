import Foundation
import GlassboxRender
import XCTest

/// Pictures of long inputs: a 16,384-token strip in one picture, the `--top K` view, the limit.
final class LongInputPictureTests: RenderTestCase {
    /// 16,384 tokens, one in ten a newline, seeded scores in −1…1 (a linear congruential sequence).
    static func longInput(_ n: Int = 16_384) -> (tokens: [String], scores: [Double]) {
        let words = [" the", " model", " of", " relevance", "\n", " a", " long", " input", " token", ","]
        var state: UInt64 = 21, tokens: [String] = [], scores: [Double] = []
        for _ in 0..<n {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            tokens.append(words[Int((state >> 33) % 10)])
            scores.append(Double((state >> 11) % 2001) / 1000 - 1)
        }
        return (tokens, scores)
    }

    func testA16kTokenStripFitsOnePictureWithEveryTokenDrawn() throws {
        let (tokens, scores) = Self.longInput()
        let strip = TokenStrip(tokens: tokens, scores: scores, target: 16_383, title: "16k tokens", scoreLabel: "relevance",
                               limit: 1)
        let (report, picture) = try renderPNG(strip, "long.png", scale: 1)
        XCTAssertLessThanOrEqual(report.size.height, 16_000)
        XCTAssertLessThanOrEqual(report.size.width, 16_000)
        XCTAssertGreaterThan(report.size.width, 640, "the lines widened")
        XCTAssertEqual([picture.width, picture.height], [Int(report.size.width.rounded(.up)), Int(report.size.height.rounded(.up))])
        // Every token has its box, inside the picture, in reading order; sampled boxes have their colour.
        var previous = Rect(x: -1, y: -1, width: 0, height: 0)
        for i in tokens.indices {
            let r = try XCTUnwrap(report.regions[.token(i)], "token \(i)")
            XCTAssertTrue(r.y > previous.y || (r.y == previous.y && r.x > previous.x), "token \(i) after token \(i - 1)")
            XCTAssertLessThanOrEqual(r.maxY, report.size.height)
            previous = r
        }
        for i in stride(from: 0, to: tokens.count, by: 997) where abs(scores[i]) > 0.3 {
            let r = report.regions[.token(i)]!
            assertColor(picture.color(r.x + 1.5, r.midY), strip.colorScale.color(scores[i]), tolerance: 4, "token \(i)")
        }
        XCTAssertGreaterThan(picture.inkPixels(in: report.regions[.token(16_383)]!), 20, "the last token is drawn")
    }

    func testTheStripRefusesWhatNoPictureHoldsAndNamesTop() throws {
        let (tokens, scores) = Self.longInput(2_000)
        var strip = TokenStrip(tokens: tokens, scores: scores)
        strip.maxHeight = 400
        XCTAssertThrowsError(try strip.render(to: file("too-long.png"), scale: 1)) {
            XCTAssertTrue("\($0)".contains("--top K"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: file("too-long.png").path))
    }

    /// More tokens than a strip draws, in any format; and a strip far too long for one picture is
    /// refused once its measured tokens cannot fit (the error the same as after flowing them).
    func testTheStripRefusesMoreTokensThanItDraws() throws {
        let (tokens, scores) = Self.longInput(TokenStrip.maximumTokens + 1)
        for name in ["many.png", "many.pdf"] {
            XCTAssertThrowsError(try TokenStrip(tokens: tokens, scores: scores).render(to: file(name), scale: 1)) {
                XCTAssertTrue("\($0)".contains("at most 100000") && "\($0)".contains("--top K"), "\($0)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: file(name).path))
        }
        let (fewer, fewerScores) = Self.longInput(TokenStrip.maximumTokens)
        XCTAssertThrowsError(try TokenStrip(tokens: fewer.map { $0 + " relevance relevance" }, scores: fewerScores)
            .render(to: file("wide.png"), scale: 1)) {
            XCTAssertTrue("\($0)".contains("do not fit one picture"), "\($0)")
        }
    }

    /// A PNG above `Canvas.maximumPixels` is refused before its surface exists, naming the way out.
    func testAPNGAboveThePixelBudgetIsRefused() throws {
        XCTAssertThrowsError(try Canvas.write(to: file("huge.png"), width: 20_000, height: 20_000, scale: 1) { _ in }) {
            XCTAssertEqual($0 as? RenderError, .tooManyPixels(width: 20_000, height: 20_000))
            XCTAssertTrue("\($0.localizedDescription)".contains("1.6 GB"), $0.localizedDescription)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: file("huge.png").path))
        // The same size as a PDF is vector: no pixels to budget.
        XCTAssertNoThrow(try Canvas.write(to: file("huge.pdf"), width: 20_000, height: 20_000, scale: 1) { _ in })
    }

    func testTopTokensListsTheHighestScoresInContext() throws {
        let (tokens, scores) = Self.longInput(500)
        let view = TopTokens(tokens: tokens, scores: scores, k: 5, context: 3, title: "top 5", scoreLabel: "relevance")
        let expected = Array(scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.prefix(5))
        XCTAssertEqual(view.listed, expected)
        let (report, picture) = try renderPNG(view, "top.png")
        var lastY = -1.0
        for p in expected {
            let r = try XCTUnwrap(report.regions[.token(p)], "listed token \(p)")
            XCTAssertGreaterThan(r.y, lastY, "one line per listed token, highest first")
            lastY = r.y
            // The scale comes from all 500 scores, not only the listed ones.
            let scale = ColorScale.diverging(limit: ScoreLimit.robust.limit(for: scores), colormap: .redBlue)
            assertColor(picture.color(r.x + 2.5, r.midY), scale.color(scores[p]), tolerance: 4, "listed token \(p)")
        }
        XCTAssertEqual(Set(report.regions.keys.compactMap { if case .token(let i) = $0 { i } else { nil } }), Set(expected))
        XCTAssertLessThan(report.size.height, 400, "five lines, whatever the length")
        XCTAssertTrue(report.notes.contains { $0.hasSuffix("the 5 highest of 500 tokens, 3 either side") }, "\(report.notes)")
        // An appended prediction is framed in context but is not one of the input tokens counted.
        var predicted = TopTokens(tokens: tokens + ["next"], scores: scores + [.nan], k: 5, context: 3, target: 500)
        predicted.appendsTarget = true
        XCTAssertTrue(try renderPNG(predicted, "predicted.png").0.notes.contains { $0.hasSuffix("the 5 highest of 500 tokens, 3 either side") })
        // k above n lists every finite score; NaN is never listed.
        var few = TopTokens(tokens: ["a", "b", "c"], scores: [0.1, .nan, -0.2], k: 10)
        XCTAssertEqual(few.listed, [0, 2])
        few.k = 0
        XCTAssertThrowsError(try few.render(to: file("none.png"), scale: 1))
    }
}

/// A long strip written as a PDF goes onto pages of at most `pageHeight` points, cut between lines.
final class LongStripPDFTests: RenderTestCase {
    func testA16kTokenStripIsAPDFOfPages() throws {
        let (tokens, scores) = LongInputPictureTests.longInput()
        let strip = TokenStrip(tokens: tokens, scores: scores, target: 16_383, title: "16k tokens")
        let url = file("long.pdf")
        let report = try strip.render(to: url)
        let pdf = try Data(contentsOf: url)
        let text = String(decoding: pdf, as: UTF8.self)
        let boxes = text.components(separatedBy: "/MediaBox").dropFirst().map { entry -> [Double] in
            let inside = entry.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" }
            return inside.split(separator: " ").compactMap { Double($0) }
        }
        XCTAssertGreaterThan(report.pages, 10, "a long strip is paged")
        XCTAssertEqual(boxes.count, report.pages, "one MediaBox per page")
        for box in boxes {
            XCTAssertEqual(box.count, 4)
            XCTAssertLessThanOrEqual(box[3], strip.pageHeight + 1, "page height \(box[3])")
            XCTAssertEqual(box[2], report.size.width.rounded(.up))
        }
        // Newlines still end lines when paged (no widening): the strip keeps its line width.
        XCTAssertLessThanOrEqual(report.size.width, strip.lineWidth + 2 * 40)
        // The short strip stays one page.
        let short = try TokenStrip(tokens: Array(tokens.prefix(50)), scores: Array(scores.prefix(50))).render(to: file("short.pdf"))
        XCTAssertEqual(short.pages, 1)
    }

    /// A long `--top K` list is paged too: 2,000 lines would be one page of ~50,000 points, far
    /// above what PDF viewers show (Acrobat: 14,400).
    func testALongTopTokensListIsAPDFOfPages() throws {
        let (tokens, scores) = LongInputPictureTests.longInput(4_000)
        let view = TopTokens(tokens: tokens, scores: scores, k: 2_000, context: 2)
        let url = file("top.pdf")
        let report = try view.render(to: url)
        let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        let heights = text.components(separatedBy: "/MediaBox").dropFirst().compactMap { entry -> Double? in
            entry.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" }.split(separator: " ").compactMap { Double($0) }.last
        }
        XCTAssertGreaterThan(heights.reduce(0, +), 40_000, "the whole list is tall")
        XCTAssertGreaterThan(report.pages, 30)
        XCTAssertEqual(heights.count, report.pages, "one MediaBox per page")
        XCTAssertLessThanOrEqual(heights.max() ?? .infinity, view.pageHeight + 1)
        XCTAssertEqual(try TopTokens(tokens: tokens, scores: scores, k: 10).render(to: file("top10.pdf")).pages, 1)
    }
}
