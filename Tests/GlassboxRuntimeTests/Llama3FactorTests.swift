import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// llama3 `rope_scaling` with `high_freq_factor` ≤ `low_freq_factor`: transformers 4.53.3's
/// `_validate_llama3_parameters` only warns, and `_compute_llama3_parameters` divides every
/// frequency whose wavelength is above `original / low` by `factor` (first `torch.where`), keeps those
/// below `original / high`, and blends the rest — none when the factors are swapped, and with equal
/// factors only a wavelength of exactly `original / low`, whose smooth factor divides by 0 (NaN).
/// Reference: the `llama3_factors` section of config-head-dim/fields.json
/// (generate_head_dim_fields.py: factor 8, original 16; logits on ids 1, 2, 3).
final class Llama3FactorTests: XCTestCase {
    private struct Scaling: Decodable {
        let factor, low_freq_factor, high_freq_factor: Double
        let original_max_position_embeddings: Int
    }
    private struct Case: Decodable {
        let model: String
        let rope_scaling: Scaling
        let outcome: String
        let finite: Bool
        let output: [Float]?
    }
    private struct Sections: Decodable { let llama3_factors: [String: Case] }

    /// helium-tiny (the red team's hy_llama3_bad), llama-gqa and llama3-rope with low 4 / high 1, and
    /// helium-tiny with low = high = 4 run to transformers' logits within 1e-4 (the swapped three were
    /// refused before, "'rope_scaling.high_freq_factor' (1) must be larger than low_freq_factor (4)",
    /// and with the old order of the tests the 2π wavelength, between 16/4 and 16/1, was kept where
    /// transformers divides it: tried). llama-gqa with low = high = 16/(2π) puts its 2π wavelength on
    /// the boundary, where transformers' logits are NaN: refused naming `high_freq_factor`.
    func testSwappedAndEqualFrequencyFactors() throws {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/config-head-dim/fields.json")
        let cases = try JSONDecoder().decode(Sections.self, from: Data(contentsOf: url)).llama3_factors
        XCTAssertEqual(cases.keys.sorted(), ["helium-tiny equal", "helium-tiny swapped", "llama-gqa equal-boundary",
                                             "llama-gqa swapped", "llama3-rope swapped"])
        for (label, expected) in cases.sorted(by: { $0.key < $1.key }) { try check(label, expected) }
    }

    /// llama3 on an odd rotated width: glm-tiny at partial_rotary_factor 0.375 and neox-parallel at
    /// rotary_pct 0.3 rotate dim 3 (4 lanes) with the frequencies 1 and 10000^(−2/3), which
    /// `_compute_llama3_parameters` scales (the `llama3_odd` section). Low 1 / high 4 blends the first
    /// and divides the second; equal factors at 16 / the second's wavelength put it on the boundary
    /// (NaN in transformers: refused naming `high_freq_factor`); equal factors at 16 / the 4-wide
    /// table's second wavelength (10000^(1/2) · 2π) hit no wavelength of the odd table and run. The
    /// boundary check used the 4-wide table's frequencies before: it refused the even-boundary cases
    /// and let the odd-boundary ones load (this test failed on that code: tried).
    func testOddRotatedWidth() throws {
        struct Odd: Decodable { let llama3_odd: [String: OddCase] }
        struct OddCase: Decodable { let key: String; let share: Double; let base: Case
            init(from decoder: Decoder) throws {
                enum K: String, CodingKey { case key, share }
                let c = try decoder.container(keyedBy: K.self)
                key = try c.decode(String.self, forKey: .key)
                share = try c.decode(Double.self, forKey: .share)
                base = try Case(from: decoder)
            }
        }
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/config-head-dim/fields.json")
        let cases = try JSONDecoder().decode(Odd.self, from: Data(contentsOf: url)).llama3_odd
        XCTAssertEqual(cases.count, 6)
        XCTAssertEqual(cases.values.filter { !$0.base.finite }.map(\.base.model).sorted(), ["glm-tiny", "neox-parallel"])
        for (label, expected) in cases.sorted(by: { $0.key < $1.key }) {
            try check(label, expected.base, share: (expected.key, expected.share))
        }
    }

    /// Loads `expected.model` with its llama3 scaling (and `share` written under its key): refused
    /// naming `high_freq_factor` where transformers' logits are not finite, else within 1e-4 of them.
    private func check(_ label: String, _ expected: Case, share: (key: String, value: Double)? = nil) throws {
        XCTAssertEqual(expected.outcome, "loads", label)
        let folder = try Fixtures.linkedCopy(of: expected.model, test: self, replacing: "config.json") { data in
            var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            let s = expected.rope_scaling
            config["rope_scaling"] = ["rope_type": "llama3", "factor": s.factor, "low_freq_factor": s.low_freq_factor,
                                      "high_freq_factor": s.high_freq_factor,
                                      "original_max_position_embeddings": s.original_max_position_embeddings] as [String: Any]
            if let share { config[share.key] = share.value }
            return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        }
        guard expected.finite else {
            XCTAssertThrowsError(try TransformerModel.load(directory: folder), label) { error in
                XCTAssertTrue("\(error)".contains("rope_scaling.high_freq_factor"), "\(label): \(error)")
            }
            return
        }
        let output = try fixtureOutput(TransformerModel.load(directory: folder))
        let reference = try XCTUnwrap(expected.output, label)
        XCTAssertEqual(output.count, reference.count, label)
        let delta = zip(output, reference).map { abs($0 - $1) }.max() ?? .nan
        XCTAssertLessThanOrEqual(delta, 1e-4, label)
        print(String(format: "%@: max |Δ| %.1e", label, Double(delta)))
    }
}
