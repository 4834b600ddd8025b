import Foundation
import GlassboxHTML
import GlassboxModelIO
import GlassboxRender
import GlassboxTestSupport
import XCTest

/// Each page kind loaded from disk in headless Chromium: no console message, no request, and
/// scripted hovers and clicks change what the page shows as expected.
final class BrowserPageTests: XCTestCase {
    private func open(_ page: HTMLPage, _ name: String, steps: String) throws -> [String: Any] {
        let url = try writePage(page, name: name)
        let run = try HeadlessChromium.dumpDOM(url, steps: steps)
        XCTAssertEqual(run.consoleLines, [], "\(name): console messages")
        XCTAssertEqual(run.networkLines, [], "\(name): blocked or failed requests")
        let state = try run.state()
        XCTAssertEqual(state["errors"] as? [String], [], "\(name): page errors")
        XCTAssertEqual(state["resources"] as? [String], [], "\(name): the page loaded resources")
        return state
    }

    func testExplanationHoverAndMethodSwitch() throws {
        let state = try open(try PageFixtures.explanation(), "explanation", steps: "select:method:1;hover:token:3;hover:cell:1:4")
        XCTAssertEqual(state["method"] as? String, "atman")
        XCTAssertEqual(state["tokens"] as? Int, 10)
        let hovered = try XCTUnwrap(state["hovered"] as? [String: Any])
        // The last hover is the matrix cell (row 1 = ".", column 4): (4 − 5) / 10 · 2.
        XCTAssertEqual(hovered["row"] as? Int, 1)
        XCTAssertEqual(try XCTUnwrap(hovered["value"] as? Double), -0.2, accuracy: 1e-12)
        XCTAssertEqual(state["matrix"] as? [String: Int], ["rows": 3, "columns": 12])
        let tooltip = try XCTUnwrap(state["tooltip"] as? String)
        XCTAssertTrue(tooltip.hasPrefix(". ×  in: relevance -0.2000"), tooltip)

        let token = try open(try PageFixtures.explanation(), "explanation-token", steps: "hover:token:8")
        XCTAssertEqual(token["method"] as? String, "attnlrp")
        XCTAssertEqual(token["tooltip"] as? String, "position 8 · \" </script>\" · score 0.8000")
    }

    func testAttentionHeadViewLinesModelViewAndNeuronView() throws {
        let page = try PageFixtures.attention(n: 6, layers: 2, heads: 3)
        // Head 1 of layer 1 puts all weight on key 0: hovering query 4 draws exactly one line.
        let head = try open(page, "attention-head", steps: "select:layer:1;select:head:1;hover:token:4")
        let drawn = try XCTUnwrap(head["head"] as? [String: Any])
        XCTAssertEqual(drawn["layer"] as? Int, 1)
        XCTAssertEqual(drawn["lines"] as? Int, 1)
        XCTAssertEqual(head["tooltip"] as? String, " in attends most to The (1.0000)")
        // Head 0 spreads query 4 over keys 0…4: five lines.
        let spread = try open(page, "attention-head0", steps: "select:head:0;hover:token:4")
        XCTAssertEqual((spread["head"] as? [String: Any])?["lines"] as? Int, 5)
        XCTAssertEqual(spread["decodedLayers"] as? Int, 1, "only the layer shown is decoded")

        let model = try open(page, "attention-model", steps: "tab:model;click:thumb:1:2;hover:cell:3:1")
        XCTAssertEqual(model["thumbnails"] as? Int, 6)
        XCTAssertEqual(model["enlarged"] as? [String: Int], ["layer": 1, "head": 2])
        XCTAssertEqual(try XCTUnwrap((model["hovered"] as? [String: Any])?["value"] as? Double), (128.0 / 255) * (128.0 / 255), accuracy: 1e-9)

        // q = (1, 2, 3, 4), k of key 3 in head 2 = (1, 1, 1, 1): q·k = 10, scaled by 1/√4.
        let neuron = try open(page, "attention-neuron", steps: "tab:neuron;select:neuron-head:2;select:neuron-query:5;click:nkey:3")
        let pair = try XCTUnwrap(neuron["neuron"] as? [String: Any])
        XCTAssertEqual(pair["query"] as? Int, 5)
        XCTAssertEqual(pair["key"] as? Int, 3)
        XCTAssertEqual(pair["keys"] as? Int, 6)
        XCTAssertEqual(try XCTUnwrap(pair["dot"] as? Double), 10, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(pair["scaled"] as? Double), 5, accuracy: 1e-6)
    }

    func testLensPatchingAndEvaluationHovers() throws {
        let lens = try open(try PageFixtures.lens(), "lens", steps: "hover:cell:2:3")
        XCTAssertEqual(lens["cells"] as? Int, 12)
        XCTAssertEqual(lens["tooltip"] as? String, "layer 1 · position 3 \" is\"\n\"2.3\"  0.6000\n\"alt\"  0.1000\ntarget rank 1, p 0.1500")

        let patch = try open(try PageFixtures.patching(), "patching", steps: "hover:cell:1:1:2")
        XCTAssertEqual(patch["panels"] as? Int, 2)
        XCTAssertEqual(patch["tooltip"] as? String, "L1 × H2: normalised effect -0.6000")
        let masked = try open(try PageFixtures.patching(), "patching-masked", steps: "hover:cell:1:1:0")
        XCTAssertEqual(masked["tooltip"] as? String, "L1 × H0: normalised effect —")

        let evaluation = try open(try PageFixtures.evaluation(), "evaluation", steps: "hover:curve:1:2")
        let hovered = try XCTUnwrap(evaluation["hovered"] as? [String: Any])
        XCTAssertEqual(hovered["method"] as? String, "rollout")
        XCTAssertEqual(try XCTUnwrap(hovered["morf"] as? Double), 0.8, accuracy: 1e-12)
    }

    /// The screenshot shows the token boxes: on a pixel row through the top padding of each line of
    /// boxes, every box contributes its two grey side borders.
    func testExplanationScreenshotShowsEveryTokenBox() throws {
        let url = try writePage(try PageFixtures.explanation(), name: "explanation-shot")
        let state = try HeadlessChromium.dumpDOM(url, steps: "hover:token:0").state()
        let boxes = try XCTUnwrap(state["boxes"] as? [[Double]])
        XCTAssertEqual(boxes.count, 10)
        let png = url.deletingPathExtension().appendingPathExtension("png")
        let run = try HeadlessChromium.screenshot(url, to: png)
        XCTAssertEqual(run.consoleLines, [])
        let image = try RGBImage.readPNG(png)
        XCTAssertEqual(image.width, 1200)
        // Not blank: many distinct colours.
        var colours = Set<Int>()
        for i in stride(from: 0, to: image.pixels.count, by: 3 * 7) {
            colours.insert(Int(image.pixels[i]) << 16 | Int(image.pixels[i + 1]) << 8 | Int(image.pixels[i + 2]))
        }
        XCTAssertGreaterThan(colours.count, 50)
        var counted = 0
        for top in Set(boxes.map { Int($0[1].rounded()) }).sorted() {
            let y = top + 2
            XCTAssertLessThan(y, image.height)
            var inRun = false
            for x in 0..<image.width {
                let o = (y * image.width + x) * 3
                let grey = (0..<3).allSatisfy { abs(Int(image.pixels[o + $0]) - 127) <= 8 }
                if grey && !inRun { counted += 1 }
                inRun = grey
            }
        }
        XCTAssertEqual(counted, 2 * boxes.count, "grey border runs on the box rows")
    }

    /// Every other page kind paints its view: the screenshot holds many colours, and the view's
    /// own colours (a colour-table entry) appear in it.
    func testOtherPageScreenshotsAreNotBlank() throws {
        let pages: [(String, HTMLPage, String, String)] = [
            ("attention-model", try PageFixtures.attention(n: 6, layers: 2, heads: 3), "tab:model;click:thumb:0:0", "viridis"),
            ("lens", try PageFixtures.lens(), "", "Blues"),
            ("patching", try PageFixtures.patching(), "", "RdBu"),
        ]
        for (name, page, steps, map) in pages {
            let url = try writePage(page, name: name)
            let png = url.deletingPathExtension().appendingPathExtension("png")
            let run = try HeadlessChromium.screenshot(url, steps: steps, to: png)
            XCTAssertEqual(run.consoleLines, [], name)
            let image = try RGBImage.readPNG(png)
            var colours = Set<Int>()
            for i in stride(from: 0, to: image.pixels.count, by: 3) {
                colours.insert(Int(image.pixels[i]) << 16 | Int(image.pixels[i + 1]) << 8 | Int(image.pixels[i + 2]))
            }
            XCTAssertGreaterThan(colours.count, 20, name)
            let table = ColorTable.hex(map == "viridis" ? .viridis : map == "Blues" ? .blues : .redBlue)
            let entries = Set((0..<256).map { Int(table.dropFirst($0 * 6).prefix(6), radix: 16)! })
            XCTAssertGreaterThanOrEqual(entries.intersection(colours).count, 3, "\(name): \(map) colours painted")
        }
    }

    /// A 2,048-token head view (one layer, two heads): hovering the last query draws its 2,048
    /// lines per head quickly, and the whole page loads and runs in a few seconds.
    func testLongHeadViewStaysResponsive() throws {
        let page = try PageFixtures.attention(n: 2048, layers: 1, heads: 2, neuron: false)
        let url = try writePage(page, name: "attention-long")
        let run = try HeadlessChromium.dumpDOM(url, steps: "select:head:0;hover:token:2047;hover:token:1024")
        XCTAssertEqual(run.consoleLines, [])
        let state = try run.state()
        let drawn = try XCTUnwrap(state["head"] as? [String: Any])
        XCTAssertEqual(drawn["lines"] as? Int, 1025)
        XCTAssertEqual(state["tooltip"] as? String, "t1024 attends most to The (9.842e-4)")
        let ms = try XCTUnwrap(drawn["drawMs"] as? Double)
        print("2,048-token head view: hover redraw \(ms) ms, page run \(run.seconds) s")
        XCTAssertLessThan(ms, 200, "hover redraw time")
        XCTAssertLessThan(run.seconds, 20)
    }
}
