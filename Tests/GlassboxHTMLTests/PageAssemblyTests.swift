import Foundation
@testable import GlassboxHTML
import XCTest

/// The page is assembled in one pass (the data escaped byte by byte into a reserved buffer, the page
/// appended into one reserved buffer): the same bytes as the plain assembly kept here as the
/// reference (string replacement, then interpolation).
final class PageAssemblyTests: XCTestCase {
    /// The reference: the data serialised as `HTMLPage` does, `<`, `>`, `&` replaced in three
    /// passes, the page interpolated.
    private func reference(kind: HTMLPage.Kind, title: String, view: [String: Any]) throws -> String {
        var data = view
        data["kind"] = kind.rawValue
        data["title"] = title
        data["colormaps"] = ColorTable.standard
        data["colours"] = PageColors.standard
        let raw = String(decoding: try JSONSerialization.data(withJSONObject: data, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        let json = raw.replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
        let t = title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="\(HTMLPage.contentSecurityPolicy)">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="glassbox">
        <title>\(t)</title>
        <style>\(PageStyle.css)</style>
        </head>
        <body>
        <header><h1>\(t)</h1></header>
        <main id="glassbox-view" data-kind="\(kind.rawValue)"></main>
        <div id="glassbox-tooltip" hidden></div>
        <pre id="glassbox-test-state" hidden></pre>
        <script type="application/json" id="glassbox-data">\(json)</script>
        <script>\(PageScript.source)</script>
        </body>
        </html>

        """
    }

    /// A 16,384-token explanation whose tokens include `<`, `>`, `&` and multi-byte characters.
    private func longExplanation() -> [String: Any] {
        let words = [" the", " <b>", " Tower", " &amp;", " é", " 東京", " >", " 🙂", " is", " in"]
        let tokens = (0..<16_384).map { words[$0 % words.count] }
        let scores = (0..<16_384).map { sin(Double($0) * 0.37) * 3 }
        return ["explanations": [["method": "attnlrp", "tokens": tokens, "rawTokens": tokens, "scores": scores, "limit": 3.0,
                                  "targetIndex": 16_383, "legend": "scale ±3", "summary": "explaining <“x”> & more"]]]
    }

    func testPageIsTheReferenceAssembly() throws {
        let title = "Explanation (attnlrp) · <tiny> & \"x\" 'y'"
        for view in [longExplanation(), ["explanations": [] as [Any]]] {
            let page = try HTMLPage(kind: .explanation, title: title, view: view)
            let expected = try reference(kind: .explanation, title: title, view: view)
            XCTAssertEqual(page.html(), expected)
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-assembly-\(UUID().uuidString).html")
            defer { try? FileManager.default.removeItem(at: url) }
            try page.write(to: url)
            XCTAssertEqual(try Data(contentsOf: url), Data(expected.utf8))
        }
    }

    /// A 512-token, 12 × 12-head attention page (25 MB of packed weights) written by the one-pass
    /// assembly is byte for byte the reference's. (Its speed is not a test's business: the
    /// assembly was timed when it was written, 2.9–3.0 s before and 0.96–1.25 s after on this page
    /// in a debug build.)
    func testLargeAttentionPageIsTheReferenceAssembly() throws {
        var generator = SystemRandomNumberGenerator()
        let n = 512, heads = 12
        let w = (0..<(heads * n * n)).map { _ in Float.random(in: 0...1, using: &generator) }
        let layer = try w.withUnsafeBufferPointer { try PackedValues.attention($0, heads: heads, n: n, causal: true) }
        let layerData = Array(repeating: layer, count: 12)   // one layer's bytes twelve times: the size is what counts
        let attention: [String: Any] = ["tokens": (0..<n).map { " t<\($0)>" }, "layers": Array(0..<12), "heads": Array(0..<heads),
                                        "causal": true, "layerData": layerData]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-assembly-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: url) }
        try HTMLPage(kind: .attention, title: "t", view: attention).write(to: url)
        XCTAssertEqual(try Data(contentsOf: url), Data(try reference(kind: .attention, title: "t", view: attention).utf8))
    }
}
