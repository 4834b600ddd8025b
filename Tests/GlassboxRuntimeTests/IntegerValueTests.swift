import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Config values transformers 4.53.3 runs although they are not the counts the names suggest, run
/// by Glassbox to transformers' output: GraniteMoE's `num_experts_per_tok` 0 (`topk(0)`: no expert
/// runs, the mixture adds zeros; GraniteMoeShared's shared MLP still runs) and the layer patterns
/// written as floats — `sliding_window_pattern` 2.5 and 1.5 (Cohere 2, Gemma 3) and
/// `no_rope_layer_interval` 2.5 and 1.5 (SmolLM3), read by Python's `(l + 1) % pattern` with the
/// list they derive (`layer_types`, `no_rope_layers`) removed; and Gemma 3's `_sliding_window_pattern`
/// 2 with `layer_types` removed, which Gemma3TextConfig does not read (the default 6 applies; Glassbox
/// read it before: that case failed, tried); negative patterns, which Python's modulo reads as their
/// magnitude (Gemma 3's −3 and −2.5 were refused before, "must be positive": those cases failed,
/// tried; Cohere 2's −2 already ran). The reference is
/// Tests/Fixtures/config-integers/values.json (scripts/fixtures/generate_integer_fields.py
/// --values: each fixture's weights loaded with `from_pretrained`, eager attention, one forward on
/// ids 1, 2, 3); the logits must agree within 1e-4. Before, Glassbox refused all eight (`1 ≤ k`;
/// the patterns read as integers): this test failed on that code (tried).
final class IntegerValueTests: XCTestCase {
    private struct Reference: Decodable {
        struct Case: Decodable {
            let model: String
            let field: String
            let value: Double
            let removed: [String]
            let outcome: String
            let output: [Float]?
        }
        let cases: [String: Case]
    }

    func testValuesTransformersRunsLoadToItsOutput() throws {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/config-integers/values.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        XCTAssertEqual(reference.cases.count, 12)
        for (key, expected) in reference.cases.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(expected.outcome, "loads", key)
            let reference = try XCTUnwrap(expected.output, key)
            let folder = try Fixtures.linkedCopy(of: expected.model, test: self, replacing: "config.json") { data in
                var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
                for removed in expected.removed { config.removeValue(forKey: removed) }
                config[expected.field] = expected.value == expected.value.rounded() ? Int(expected.value) as Any : expected.value
                return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
            }
            let model = try TransformerModel.load(directory: folder)
            let output = try fixtureOutput(model)
            XCTAssertEqual(output.count, reference.count, key)
            let difference = zip(output, reference).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(difference, 1e-4, key)
            print(String(format: "%@: max |Δ| %.1e", key, Double(difference)))
            // The edit matters: the unedited fixture's output is not the reference's.
            let original = try fixtureOutput(TransformerModel.load(directory: Fixtures.model(expected.model)))
            XCTAssertGreaterThan(zip(original, reference).map { abs($0 - $1) }.max() ?? 0, 1e-3, "\(key): the edit changes nothing")
        }
    }

    /// A negative `num_experts_per_tok` is refused naming the key (`torch.topk` fails on it:
    /// "selected index k out of range").
    func testNegativeExpertsPerTokenIsRefused() throws {
        let folder = try Fixtures.textEditedCopy(of: "granitemoe-tiny", test: self) {
            $0.replacingOccurrences(of: #""num_experts_per_tok": 2"#, with: #""num_experts_per_tok": -1"#)
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
            guard case LoadError.invalidConfig(_, let key, let detail)? = error as? LoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "num_experts_per_tok")
            XCTAssertTrue(detail.contains("torch.topk"), detail)
        }
    }

    /// Gemma 3's `sliding_window_pattern` 0 without `layer_types` is refused naming the key
    /// (Gemma3TextConfig's `(i + 1) % 0`: ZeroDivisionError); a negative one loads (above).
    func testGemma3ZeroPatternIsRefused() throws {
        let folder = try Fixtures.linkedCopy(of: "gemma3-text", test: self, replacing: "config.json") { data in
            var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            config.removeValue(forKey: "layer_types")
            config["sliding_window_pattern"] = 0
            return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
            guard case LoadError.invalidConfig(_, let key, let detail)? = error as? LoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "sliding_window_pattern")
            XCTAssertTrue(detail.contains("ZeroDivisionError"), detail)
        }
    }
}
