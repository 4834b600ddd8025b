import Foundation
import GlassboxRender
import XCTest

/// The static head view: lines in each head's colour, opacity from the weight, chosen heads only.
final class AttentionLinesTests: RenderTestCase {
    private let tokens = ["first", "second"]
    private func straight() throws -> ScoreMatrix { try ScoreMatrix([[1, 0], [0, 1]]) }
    private func crossed() throws -> ScoreMatrix { try ScoreMatrix([[0, 1], [1, 0]]) }

    /// The midpoint of the line from query i to key j.
    private func midpoint(_ report: RenderReport, _ i: Int, _ j: Int) throws -> (Double, Double) {
        let plot = try XCTUnwrap(report.regions[.plot])
        let yi = try XCTUnwrap(report.regions[.token(i)]).midY, yj = try XCTUnwrap(report.regions[.keyToken(j)]).midY
        return (plot.midX, (yi + yj) / 2)
    }

    private func count(_ color: RGBA, in rect: Rect, _ picture: RenderedPicture) -> Int {
        let c = color.bytes
        var n = 0
        for y in stride(from: rect.y, to: rect.maxY, by: 0.5) {
            for x in stride(from: rect.x, to: rect.maxX, by: 0.5) {
                let p = picture.color(x, y)
                if abs(p.r - Int(c.r)) < 25, abs(p.g - Int(c.g)) < 25, abs(p.b - Int(c.b)) < 25 { n += 1 }
            }
        }
        return n
    }

    func testOnlyChosenHeadsAreDrawnInTheirColours() throws {
        let figure = AttentionLines(tokens: tokens, attention: [try straight(), try crossed()], heads: [0])
        let (report, picture) = try renderPNG(figure)
        let (x, y) = try midpoint(report, 0, 0)
        assertColor(picture.color(x, y), Palette.color(0), tolerance: 3, "head 0 line at full weight")
        let plot = try XCTUnwrap(report.regions[.plot])
        XCTAssertEqual(count(Palette.color(1), in: plot, picture), 0, "head 1 was not chosen")
        XCTAssertGreaterThan(count(Palette.color(0), in: try XCTUnwrap(report.regions[.legend]), picture), 10, "legend swatch")
    }

    func testOpacityIsWeightOverChosenHeads() throws {
        let half = try ScoreMatrix([[0.5, 0.5], [0, 1]])
        let (report, picture) = try renderPNG(AttentionLines(tokens: tokens, attention: [half, try crossed()], heads: [0, 1]))
        // Query 1 → key 1 in head 0 only: weight 1 over 2 heads = opacity 0.5 over white.
        let (x, y) = try midpoint(report, 1, 1)
        let expected = Palette.color(0).mixed(with: .white, 0.5)
        assertColor(picture.color(x, y), expected, tolerance: 3, "half-opaque head 0 line")
        XCTAssertGreaterThan(count(Palette.color(1).mixed(with: .white, 0.5), in: try XCTUnwrap(report.regions[.plot]), picture), 20,
                             "head 1's crossing lines, half opaque")
    }

    func testAQueryShowsOnlyItsLines() throws {
        let (report, picture) = try renderPNG(AttentionLines(tokens: tokens, attention: [try straight()], query: 0))
        let (x0, y0) = try midpoint(report, 0, 0), (x1, y1) = try midpoint(report, 1, 1)
        assertColor(picture.color(x0, y0), Palette.color(0), tolerance: 3, "the query's line")
        assertColor(picture.color(x1, y1), .white, tolerance: 0, "another query's line is hidden")
    }

    func testTokenLabelsHaveInk() throws {
        let (report, picture) = try renderPNG(AttentionLines(tokens: [" left", "\n"], attention: [try straight()], title: "Lines"))
        for i in 0..<2 {
            XCTAssertGreaterThan(picture.inkPixels(in: try XCTUnwrap(report.regions[.token(i)])), 10, "query label \(i)")
            XCTAssertGreaterThan(picture.inkPixels(in: try XCTUnwrap(report.regions[.keyToken(i)])), 10, "key label \(i)")
        }
        XCTAssertEqual(report.warnings, [])
    }

    func testBadHeadsAreRejected() throws {
        XCTAssertThrowsError(try AttentionLines(tokens: tokens, attention: [try straight()], heads: [3]).render(to: file("x.png")))
        XCTAssertThrowsError(try AttentionLines(tokens: ["a"], attention: [try straight()]).render(to: file("x.png")))
        XCTAssertThrowsError(try AttentionLines(tokens: tokens, attention: [try straight()], heads: []).render(to: file("x.png")))
        // More tokens than the view can draw: refused with a message, not a canvas failure.
        let n = AttentionLines.maximumTokens + 1
        let uniform = try ScoreMatrix(rows: n, columns: n, values: [Float](repeating: 1 / Float(n), count: n * n))
        XCTAssertThrowsError(try AttentionLines(tokens: (0..<n).map(String.init), attention: [uniform]).render(to: file("x.png"))) {
            XCTAssertEqual($0.localizedDescription,
                           "cannot draw this figure: the lines view draws at most 900 tokens a side in a PNG (32,767 pixels at 2 pixels per point), not 901; an SVG or PDF holds up to 400000; the attention matrix pools long inputs")
        }
        XCTAssertEqual(try leftovers(), [])
    }

    /// The PNG's pixel limit is not an SVG's or PDF's: 2,000 rows (about 35,700 points, past the
    /// 32,767 a PNG holds at any scale ≥ 1) draw in both, every row in place.
    func testLongInputsDrawAsSVGAndPDF() throws {
        let n = 2000
        var values = [Float](repeating: 0, count: n * n)
        for i in 0..<n { values[i * n + i] = 1 }
        let diagonal = try ScoreMatrix(rows: n, columns: n, values: values)
        let figure = AttentionLines(tokens: (0..<n).map { "t\($0)" }, attention: [diagonal])
        for ext in ["svg", "pdf"] {
            let report = try figure.render(to: file("long.\(ext)"))
            XCTAssertGreaterThan(report.size.height, 32_767, ext)
            XCTAssertLessThan(try XCTUnwrap(report.regions[.token(n - 1)]).maxY, report.size.height, ext)
        }
        XCTAssertEqual(AttentionLines.maximumTokens(for: .png), 900)
        XCTAssertEqual(AttentionLines.maximumTokens(for: .svg), 400_000)
        XCTAssertEqual(AttentionLines.maximumTokens(for: .pdf), 400_000)
    }
}
