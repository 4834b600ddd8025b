import Foundation
import GlassboxHTML
import GlassboxRender
import XCTest

/// The page file itself: one self-contained file with a strict policy, safe data embedding, the
/// PNG colours, compact attention data.
final class HTMLPageTests: XCTestCase {
    func testPageIsSelfContainedWithAStrictPolicy() throws {
        let html = try PageFixtures.explanation().html()
        XCTAssertTrue(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "))
        for forbidden in ["src=", "href=", "http://", "https://", "@import", "url("] {
            XCTAssertFalse(html.contains(forbidden), "the page holds \(forbidden)")
        }
        // The token text "</script>" cannot end the data element early.
        XCTAssertEqual(html.components(separatedBy: "</script>").count - 1, 2)
        XCTAssertTrue(html.contains(#"\u003c/script\u003e"#))
    }

    func testColourTableMatchesTheColormap() {
        let hex = ColorTable.hex(.redBlue)
        XCTAssertEqual(hex.count, 256 * 6)
        XCTAssertEqual(hex.prefix(6), "053061")
        XCTAssertEqual(hex.suffix(6), "67001f")
        let middle = Colormap.redBlue.color(at: 128.0 / 255)
        let entry = Int(hex.dropFirst(128 * 6).prefix(6), radix: 16)!
        XCTAssertEqual(Double(entry >> 16) / 255, middle.red, accuracy: 0.5 / 255 + 1e-9)
    }

    func testCausalAttentionKeepsTheLowerTriangle() throws {
        let n = 3
        let w: [Float] = [1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5]
        let packed = try w.withUnsafeBufferPointer { try PackedValues.attention($0, heads: 1, n: n, causal: true) }
        XCTAssertEqual(Array(Data(base64Encoded: packed)!), [255, 180, 180, 114, 140, 180])
        let full = try w.withUnsafeBufferPointer { try PackedValues.attention($0, heads: 1, n: n, causal: false) }
        XCTAssertEqual(Data(base64Encoded: full)!.count, 9)
        XCTAssertThrowsError(try w.withUnsafeBufferPointer { try PackedValues.attention($0, heads: 2, n: n, causal: true) })
    }

    /// A GPT-2-small-shaped page — 12 layers × 12 heads at 128 tokens, with q and k of one layer
    /// (12 heads × 64) for the neuron view — is at most 5 MB.
    func testGPT2SmallShapedAttentionPageIsAtMostFiveMB() throws {
        let n = 128, layers = 12, heads = 12, dh = 64
        var generator = SystemRandomNumberGenerator()
        var data: [String] = []
        for _ in 0..<layers {
            let w = (0..<(heads * n * n)).map { _ in Float.random(in: 0...1, using: &generator) }
            data.append(try w.withUnsafeBufferPointer { try PackedValues.attention($0, heads: heads, n: n, causal: true) })
        }
        let qk = (0..<(n * heads * dh)).map { _ in Float.random(in: -3...3, using: &generator) }
        let page = try HTMLPage(kind: .attention, title: "size", view: [
            "tokens": (0..<n).map { " token\($0)" }, "layers": Array(0..<layers), "heads": Array(0..<heads), "causal": true,
            "layerData": data,
            "neuron": ["layer": 11, "heads": heads, "kvHeads": heads, "dHead": dh, "q": PackedValues.float32(qk), "k": PackedValues.float32(qk)],
        ])
        let bytes = page.html().utf8.count
        print("GPT-2-small-shaped attention page at 128 tokens: \(bytes) bytes")
        XCTAssertLessThanOrEqual(bytes, 5_000_000)
    }

    func testNonFiniteDataIsATypedError() {
        XCTAssertThrowsError(try HTMLPage(kind: .lens, title: "x", view: ["rows": [Double.nan]])) { error in
            XCTAssertTrue(error is HTMLError, "\(error)")
        }
    }
}
