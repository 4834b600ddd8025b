import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Rotated widths transformers runs and Glassbox refused before: Nemotron's odd
/// `dim = int(head_dim · partial_rotary_factor)` (NemotronRotaryEmbedding's table is `2 · ceil(dim / 2)`
/// wide, rotate-half, and apply_rotary_pos_emb cuts q, k at its width: `dim + 1` lanes turn with the
/// frequencies `base^(−2i / dim)`), and a `dim` of 0 in Nemotron, GPT-NeoX and GLM (an empty table:
/// `q[..., :0]` rotates nothing and every lane passes through: Glassbox builds no position embedding). References: the `nemotron`,
/// `neox_zero` and `glm_zero` sections of config-head-dim/fields.json (generate_head_dim_fields.py, transformers
/// 4.53.3 with the fixtures' weights, one forward on ids 1, 2, 3), logits within 1e-4.
final class RotaryWidthTests: XCTestCase {
    private struct Case: Decodable {
        let model: String
        let partial_rotary_factor: Double?
        let rotary_pct: Double?
        let outcome: String
        let output: [Float]?
    }
    private struct Sections: Decodable { let nemotron: [String: Case]; let neox_zero: [String: Case]; let glm_zero: [String: Case] }

    private func reference() throws -> Sections {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/config-head-dim/fields.json")
        return try JSONDecoder().decode(Sections.self, from: Data(contentsOf: url))
    }

    /// Loads `expected.model` with the share written under `key` and compares one forward's logits
    /// with transformers'; returns the model for the caller's checks of its rotary width.
    private func run(_ label: String, _ expected: Case, key: String, share: Double) throws -> TransformerModel {
        XCTAssertEqual(expected.outcome, "loads", label)
        let folder = try Fixtures.linkedCopy(of: expected.model, test: self, replacing: "config.json") { data in
            var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            config[key] = share
            return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        }
        let model = try TransformerModel.load(directory: folder)
        let output = try fixtureOutput(model), reference = try XCTUnwrap(expected.output, label)
        XCTAssertEqual(output.count, reference.count, label)
        let delta = zip(output, reference).map { abs($0 - $1) }.max() ?? .nan
        XCTAssertLessThanOrEqual(delta, 1e-4, label)
        print(String(format: "%@: max |Δ| %.1e", label, Double(delta)))
        return model
    }

    /// nemotron-tiny (head_dim 8) at 0.375 and 0.625 (dim 3, 5: 4 and 6 lanes), 0.1 and 0.0 (dim 0),
    /// nemotron-bias (head_dim 16) at 0.3125 (dim 5) and 0.05 (dim 0). All six were refused before
    /// ("'partial_rotary_factor' must be in (0, 1] and give an even number of rotated dimensions":
    /// this test failed on that code, tried).
    func testNemotronOddAndEmptyWidths() throws {
        let cases = try reference().nemotron
        XCTAssertEqual(cases.keys.sorted(), ["nemotron-bias 0.05", "nemotron-bias 0.3125", "nemotron-tiny 0.0",
                                             "nemotron-tiny 0.1", "nemotron-tiny 0.375", "nemotron-tiny 0.625"])
        for (label, expected) in cases.sorted(by: { $0.key < $1.key }) {
            let share = try XCTUnwrap(expected.partial_rotary_factor, label)
            let model = try run(label, expected, key: "partial_rotary_factor", share: share)
            let arch = model.architecture, dim = Int(Double(arch.headDim) * share)
            if dim == 0 { XCTAssertEqual(arch.position, .none, label); continue }
            guard case .rotary(let rope) = arch.position else { return XCTFail("\(label): not rotary") }
            XCTAssertEqual(rope.dimensions, dim % 2 == 0 ? dim : dim + 1, label)
            XCTAssertEqual(rope.oddWidth, dim % 2 == 1 ? dim : nil, label)
        }
    }

    /// neox-parallel (d // H 10) at rotary_pct 0.05 and 0.0: dim 0, nothing rotates. Both were
    /// refused before ("'rotary_pct' must be in (0, 1] and rotate a non-zero number": this test
    /// failed on that code, tried).
    func testGPTNeoXEmptyWidth() throws {
        let cases = try reference().neox_zero
        XCTAssertEqual(cases.keys.sorted(), ["neox-parallel 0.0", "neox-parallel 0.05"])
        for (label, expected) in cases.sorted(by: { $0.key < $1.key }) {
            let model = try run(label, expected, key: "rotary_pct", share: try XCTUnwrap(expected.rotary_pct, label))
            XCTAssertEqual(model.architecture.position, .none, label)
        }
    }

    /// glm-tiny (head_dim 8) at partial_rotary_factor 0.1 and glm4-tiny (head_dim 16, linear
    /// rope_scaling) at 0.0: dim 0, nothing rotates (GlmRotaryEmbedding's empty table). Both were
    /// refused before ("must be in (0, 1] and give a non-zero number of rotated dimensions": this
    /// test failed on that code, tried).
    func testGlmEmptyWidth() throws {
        let cases = try reference().glm_zero
        XCTAssertEqual(cases.keys.sorted(), ["glm-tiny 0.1", "glm4-tiny 0.0"])
        for (label, expected) in cases.sorted(by: { $0.key < $1.key }) {
            let share = try XCTUnwrap(expected.partial_rotary_factor, label)
            let model = try run(label, expected, key: "partial_rotary_factor", share: share)
            XCTAssertEqual(model.architecture.position, .none, label)
        }
    }
}
