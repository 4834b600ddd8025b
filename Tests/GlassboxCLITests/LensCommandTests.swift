import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox lens` end to end: the last row is the model's own prediction at every position.
final class LensCommandTests: XCTestCase {
    func testLensJSONEndsWithTheModelsPrediction() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-lens-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: out) }
        let ids = [3, 14, 15, 92, 65]
        let output = try runGlassbox(["lens", "--model", "Tests/Fixtures/models/gpt2-odd", "--ids",
                                      ids.map(String.init).joined(separator: ","), "--json", "--out", out.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let rows = try XCTUnwrap(object["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["label"] as? String }, ["embed", "layer 0", "layer 1", "layer 2"])
        let logits = try XCTUnwrap(try TransformerModel.load(directory: Fixtures.model("gpt2-odd")).forward(ids).logits)
        let last = try XCTUnwrap(rows.last?["positions"] as? [[String: Any]])
        for (p, cell) in last.enumerated() {
            let row = logits.row(p).storage
            let top = try XCTUnwrap((cell["top"] as? [[String: Any]])?.first)
            XCTAssertEqual(top["id"] as? Int, row.indices.max { row[$0] < row[$1] })
            XCTAssertEqual(cell["kl"] as? Double ?? 1, 0, accuracy: 1e-4)
            XCTAssertEqual(cell["targetRank"] as? Int, 1)
        }
        XCTAssertEqual(try Data(contentsOf: out).prefix(4), Data([0x89, 0x50, 0x4E, 0x47]))
    }

    /// Long inputs: the lens picture shows the last positions that fit (the JSON keeps all of
    /// them); the attention lines view refuses more than it can draw before the forward pass.
    func testLongInputsDrawTheLensEndAndRefuseTheLinesView() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-long-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let ids = (0..<1200).map { String(($0 * 79 + 13) % 128) }.joined(separator: ",")
        let lens = folder.appendingPathComponent("lens.png")
        let run = try runGlassbox(["lens", "--model", "Tests/Fixtures/models/gpt2-long", "--ids", ids, "--json", "--out", lens.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let rows = try XCTUnwrap(object["rows"] as? [[String: Any]])
        XCTAssertEqual((rows.first?["positions"] as? [Any])?.count, 1200, "the JSON keeps every position")
        let png = try Data(contentsOf: lens)
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertGreaterThan(width, 2_000)
        XCTAssertLessThanOrEqual(width, 2 * 12_600, "at most 12,000 points of grid plus labels, at 2 pixels per point")

        let lines = folder.appendingPathComponent("lines.png")
        let refused = try runGlassbox(["attention", "--model", "Tests/Fixtures/models/gpt2-long", "--ids", ids, "--view", "lines", "--out", lines.path])
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stderr, "glassbox: error: the lines view draws at most 900 tokens a side in a PNG (32,767 pixels at 2 pixels per point) and the input has 1200; write --out FILE.svg or FILE.pdf (up to 400000 tokens), use --view matrix or --view grid (both pool long inputs), or --out FILE.html\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: lines.path))
        // An SVG or PDF has no pixel limit: the same input draws.
        for ext in ["svg", "pdf"] {
            let vector = folder.appendingPathComponent("lines.\(ext)")
            let drawn = try runGlassbox(["attention", "--model", "Tests/Fixtures/models/gpt2-long", "--ids", ids, "--view", "lines", "--out", vector.path])
            XCTAssertEqual(drawn.status, 0, drawn.stderr)
            XCTAssertEqual(drawn.stdout, "picture: \(vector.path)\n")
        }
    }

    /// `glassbox lens --json` against TransformerLens's `accumulated_resid(apply_ln=True)` + unembed
    /// (Tests/Fixtures/transformerlens, docs/methods.md §5.4): every cell's top-5 probabilities within
    /// 1e-5 of the softmax of TransformerLens's lens logits, KL(final ‖ lens) within 1e-4.
    func testLensJSONMatchesTransformerLens() throws {
        for (name, site) in [("gpt2-odd", "resid"), ("llama-gqa", "resid"), ("gpt2-tiny", "mlp"), ("gptneo-local", "attn"),
                             ("phi-tiny", "mlp")] {
            let golden = try XCTUnwrap(try TransformerLensGolden.cases(name).first { $0.name == "short" }).golden
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-lens-tl-\(UUID().uuidString).png")
            defer { try? FileManager.default.removeItem(at: out) }
            let output = try runGlassbox(["lens", "--model", "Tests/Fixtures/models/\(name)", "--ids",
                                          golden.inputIDs.map(String.init).joined(separator: ","), "--site", site,
                                          "--json", "--out", out.path])
            XCTAssertEqual(output.status, 0, output.stderr)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
            let rows = try XCTUnwrap(object["rows"] as? [[String: Any]])
            let lens = try golden.tensor("lens.\(site)"), final = try golden.tensor("logits")   // [rows, n, V], [n, V]
            XCTAssertEqual(rows.count, lens.shape[0], name)
            let v = lens.shape[2]
            func logSoftmax(_ x: [Double]) -> [Double] {
                let m = x.max()!
                let lse = m + log(x.reduce(0) { $0 + exp($1 - m) })
                return x.map { $0 - lse }
            }
            for (r, row) in rows.enumerated() {
                for cell in try XCTUnwrap(row["positions"] as? [[String: Any]]) {
                    let p = try XCTUnwrap(cell["position"] as? Int)
                    let lq = logSoftmax((0..<v).map { Double(lens[r, p, $0]) })
                    let lp = logSoftmax((0..<v).map { Double(final[p, $0]) })
                    for top in try XCTUnwrap(cell["top"] as? [[String: Any]]) {
                        let id = try XCTUnwrap(top["id"] as? Int)
                        XCTAssertEqual(try XCTUnwrap(top["prob"] as? Double), exp(lq[id]), accuracy: 1e-5, "\(name) row \(r) pos \(p) id \(id)")
                    }
                    let kl = zip(lp, lq).reduce(0) { $0 + exp($1.0) * ($1.0 - $1.1) }
                    XCTAssertEqual(try XCTUnwrap(cell["kl"] as? Double), kl, accuracy: 1e-4 * max(1, kl), "\(name) row \(r) KL at \(p)")
                }
            }
        }
    }
}
