import Foundation
import GlassboxHTML
import GlassboxModelIO
import GlassboxRender
import GlassboxTestSupport
import XCTest

/// The page paints with the PNGs' fixed colours: head h in `Palette.color(h)`, cells with no value
/// in `Theme.masked`, text on a coloured cell in the ink `RGBA.contrastingText` picks. Each is read
/// back from the page running in headless Chromium and compared with the Swift value.
final class PageColorTests: XCTestCase {
    private func state(_ page: HTMLPage, _ name: String, steps: String) throws -> (state: [String: Any], dom: String) {
        let run = try HeadlessChromium.dumpDOM(try writePage(page, name: name), steps: steps)
        XCTAssertEqual(run.consoleLines, [], name)
        let state = try run.state()
        XCTAssertEqual(state["errors"] as? [String], [], name)
        return (state, run.dom)
    }

    /// `rgb(r, g, b)` (how the DOM reports a CSS colour) as `#rrggbb`.
    private func css(fromDOM text: String) throws -> String {
        let parts = text.drop { $0 != "(" }.dropFirst().prefix { $0 != ")" }.split(separator: ",")
        let bytes = try parts.map { try XCTUnwrap(UInt8($0.trimmingCharacters(in: .whitespaces)), text) }
        XCTAssertEqual(bytes.count, 3, text)
        return ColorTable.css(RGBA(hex: bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
    }

    func testHeadColoursArePaletteColours() throws {
        let expected = (0..<24).map { ColorTable.css(Palette.color($0)) }
        let (state, dom) = try state(try PageFixtures.attention(n: 3, layers: 1, heads: 24, neuron: false), "heads", steps: "probe:colours")
        // The lines of every head drawn at rest, in head order.
        XCTAssertEqual((state["head"] as? [String: Any])?["colours"] as? [String], expected)
        XCTAssertEqual((state["probe"] as? [String: Any])?["heads"] as? [String], expected)
        // The head keys below the view, as the DOM holds them.
        let pattern = try NSRegularExpression(pattern: #"class="head-key" style="border-color: (rgb\([0-9, ]+\))"#)
        let keys = try pattern.matches(in: dom, range: NSRange(dom.startIndex..., in: dom)).map {
            try css(fromDOM: String(dom[Range($0.range(at: 1), in: dom)!]))
        }
        XCTAssertEqual(keys, expected)
        XCTAssertEqual(Set(expected).count, 20, "head 20 takes head 0's colour, as in the PNG")
    }

    /// With some heads chosen (`--head 3,5`), the PNG's head view colours the chosen heads in
    /// order (`AttentionLines`: `Palette.color` of the index into the heads drawn); so does the page.
    func testChosenHeadsTakeColoursInOrderAsInThePNG() throws {
        let w: [Float] = [1, 0, 0.5, 0.5, 1, 0, 0.5, 0.5]   // [2 heads, 2, 2]
        let packed = try w.withUnsafeBufferPointer { try PackedValues.attention($0, heads: 2, n: 2, causal: true) }
        let page = try HTMLPage(kind: .attention, title: "chosen heads", view: [
            "tokens": ["a", "b"], "layers": [0], "heads": [3, 5], "causal": true, "layerData": [packed]])
        let (state, dom) = try state(page, "chosen-heads", steps: "select:head:1")
        XCTAssertEqual((state["head"] as? [String: Any])?["colours"] as? [String], [ColorTable.css(Palette.color(1))], "head 5, the second chosen")
        let (all, _) = try self.state(page, "chosen-heads-all", steps: "select:head:-1")
        XCTAssertEqual((all["head"] as? [String: Any])?["colours"] as? [String], [0, 1].map { ColorTable.css(Palette.color($0)) })
        XCTAssertTrue(dom.contains("class=\"head-key\" style=\"border-color: rgb(255, 127, 14);\">head 5<"), "head 5's key in Palette.color(1)")
    }

    func testMaskedCellsAreThemeMasked() throws {
        let masked = ColorTable.css(Theme.masked)
        XCTAssertEqual(masked, "#f0f0f0")
        let (state, _) = try state(try PageFixtures.patching(), "masked", steps: "hover:cell:1:1:0")
        let hovered = try XCTUnwrap(state["hovered"] as? [String: Any])
        XCTAssertTrue(hovered["value"] is NSNull, "the fixture's cell (1, 0) of panel 1 has no value")
        XCTAssertEqual(hovered["colour"] as? String, masked)
        // The painted raster: the 28 × 28 masked cell in exactly that colour.
        let url = try writePage(try PageFixtures.patching(), name: "masked-shot")
        let png = url.deletingPathExtension().appendingPathExtension("png")
        XCTAssertEqual(try HeadlessChromium.screenshot(url, to: png).consoleLines, [])
        let image = try RGBImage.readPNG(png)
        let b = Theme.masked.bytes
        var count = 0
        for i in stride(from: 0, to: image.pixels.count, by: 3)
        where image.pixels[i] == b.r && image.pixels[i + 1] == b.g && image.pixels[i + 2] == b.b { count += 1 }
        XCTAssertGreaterThanOrEqual(count, 28 * 28, "pixels in Theme.masked")
    }

    /// The script's `inkOn` against `RGBA.contrastingText` on all 256 entries of each colour table,
    /// every palette colour and the masked colour; then the ink actually set on a token and a lens cell.
    func testInkRuleIsContrastingText() throws {
        func ink(_ color: RGBA) -> String { ColorTable.css(color.contrastingText) }
        let (state, _) = try state(try PageFixtures.explanation(), "ink", steps: "probe:colours;hover:token:2")
        let probe = try XCTUnwrap(state["probe"] as? [String: Any])
        let inks = try XCTUnwrap(probe["ink"] as? [String: [String]])
        XCTAssertEqual(Set(inks.keys), Set(ColorTable.standard.keys))
        var dark = 0
        for (name, hex) in ColorTable.standard {
            let expected = (0..<256).map { ink(RGBA(hex: UInt32(hex.dropFirst($0 * 6).prefix(6), radix: 16)!)) }
            let got = try XCTUnwrap(inks[name])
            XCTAssertEqual(got.count, 256, name)
            for i in 0..<256 where got[i] != expected[i] { XCTFail("\(name)[\(i)] #\(hex.dropFirst(i * 6).prefix(6)): page \(got[i]), Swift \(expected[i])") }
            dark += expected.filter { $0 == ColorTable.css(Theme.text) }.count
        }
        XCTAssertGreaterThan(dark, 100, "both inks occur")
        XCTAssertLessThan(dark, 3 * 256 - 100, "both inks occur")
        XCTAssertEqual(probe["categorical"] as? [String], Palette.categorical.map(ink))
        XCTAssertEqual(probe["masked"] as? String, ink(Theme.masked))

        let token = try XCTUnwrap(state["hovered"] as? [String: Any])
        let background = try css(fromDOM: try XCTUnwrap(token["background"] as? String))
        let expected = ink(RGBA(hex: UInt32(background.dropFirst(), radix: 16)!))
        XCTAssertEqual(try css(fromDOM: try XCTUnwrap(token["ink"] as? String)), expected)

        let (lens, _) = try self.state(try PageFixtures.lens(), "ink-lens", steps: "hover:cell:2:3")
        let cell = try XCTUnwrap(lens["hovered"] as? [String: Any])
        let cellBackground = try css(fromDOM: try XCTUnwrap(cell["background"] as? String))
        XCTAssertEqual(try css(fromDOM: try XCTUnwrap(cell["ink"] as? String)), ink(RGBA(hex: UInt32(cellBackground.dropFirst(), radix: 16)!)))
    }
}
