import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// YaRN `rope_scaling` (`_compute_yarn_parameters` of transformers 4.53.3) on the llama-rope-yarn
/// and qwen2-yarn fixtures of scripts/fixtures/generate.py: every hook point against transformers at
/// 1e-4 (fp32 both sides; llama-rope-yarn's 24-token case runs past its
/// original_max_position_embeddings 16), the inverse frequencies against those the reference used
/// (`rope_inv_freq` in each golden's metadata) to 1e-6 relative, the attention factor, and the
/// config errors transformers also raises.
final class YarnRopeTests: XCTestCase {
    /// Fixture, its original length (the reference's `original_max_position_embeddings`, else
    /// `max_position_embeddings`), and the factor cos and sin carry.
    static let fixtures: [(name: String, original: Int, attention: Double)] = [
        // mscale 2, mscale_all_dim 1 with the factor 64 / 16 = 4 (the written 8 is replaced).
        ("llama-rope-yarn", 16, (1 + 0.2 * log(4.0)) / (1 + 0.1 * log(4.0))),
        ("qwen2-yarn", 32, 0.8),   // attention_factor as given
    ]

    func testEveryHookPointMatchesTransformersPastTheOriginalLength() throws {
        var longest: [String: Int] = [:]
        for (name, _, attention) in Self.fixtures {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            guard case .rotary(let rope) = model.architecture.position else { return XCTFail("\(name): not rotary") }
            XCTAssertEqual(Double(rope.attentionScaling), attention, accuracy: 1e-6, name)
            longest[name] = try compareRopeGoldens(name, model: model, rope: rope).lengths.max()
        }
        XCTAssertGreaterThan(longest["llama-rope-yarn"] ?? 0, 16, "an input past original_max_position_embeddings")
    }

    /// The blend itself: frequency 0 kept (extrapolated), 1 and 2 blended by the ramp over [0, 3],
    /// the rest divided by the factor 4 (llama-rope-yarn: head_dim 16, θ 100, betas 4 / 0.5).
    func testFrequenciesAreBlendedByTheRamp() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("llama-rope-yarn"))
        guard case .rotary(let rope) = model.architecture.position else { return XCTFail("not rotary") }
        let plain = (0..<8).map { 1 / pow(100.0, Double(2 * $0) / 16) }
        let ramp = [0, 1.0 / 3, 2.0 / 3, 1, 1, 1, 1, 1]
        let expected = zip(plain, ramp).map { f, r in f / 4 * r + f * (1 - r) }
        for (a, b) in zip(rope.inverseFrequencies(length: 5), expected) { XCTAssertEqual(Double(a), b, accuracy: 1e-6 * b) }
    }

    /// What transformers refuses (KeyError, TypeError, ZeroDivisionError, math domain error) is a
    /// one-line config error naming the key; what it only warns about loads.
    func testConfigErrorsAndWarnings() throws {
        let refused: [(String, String)] = [
            (#""rope_scaling": {"rope_type": "yarn"}"#, "'rope_scaling' of type 'yarn' needs a numeric 'factor'"),
            (#""rope_scaling": {"rope_type": "yarn", "factor": "4"}"#, "'rope_scaling' of type 'yarn' needs a numeric 'factor'"),
            (#""rope_scaling": {"rope_type": "yarn", "factor": 0}"#, "'rope_scaling.factor' must be a positive number, got 0"),
            (#""rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 0}"#,
             "'rope_scaling.original_max_position_embeddings' must be a positive number, got 0"),
            (#""rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": null}"#,
             "'rope_scaling.original_max_position_embeddings' must be a positive number, got null"),
            (#""rope_scaling": {"rope_type": "yarn", "factor": 4.0, "beta_fast": -1.0}"#,
             "'rope_scaling.beta_fast' must be a positive number, got -1"),
            (#""rope_scaling": {"rope_type": "yarn", "factor": 4.0, "beta_slow": "x"}"#,
             "'rope_scaling.beta_slow' must be a positive number, got \"x\""),
            (#""rope_scaling": {"rope_type": "yarn", "factor": 4.0, "mscale": "a", "mscale_all_dim": 1.0}"#,
             "'rope_scaling.mscale' must be a number"),
            (#""rope_scaling": {"rope_type": "yarn", "factor": 4.0, "mscale": 1.0, "mscale_all_dim": -7.213475204444817}"#,
             "'rope_scaling.mscale_all_dim'"),
            (#""rope_scaling": {"rope_type": "yarn", "factor": 4.0, "attention_factor": "x"}"#,
             "'rope_scaling.attention_factor' must be a number"),
            (#""rope_theta": 1, "rope_scaling": {"rope_type": "yarn", "factor": 4.0}"#, "'rope_theta'"),
        ]
        for (fields, message) in refused {
            XCTAssertThrowsError(try TransformerModel.load(directory: try temporaryModel(fields))) { error in
                guard case LoadError.invalidConfig = error else { return XCTFail("\(fields): \(error)") }
                let text = error.localizedDescription
                XCTAssertTrue(text.contains(message), "\(message) not in \(text)")
                XCTAssertTrue(text.contains("config.json"), text)
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
        // Warned about, then used: an integer factor, beta_fast < beta_slow, an unknown key (no
        // `truncate` in 4.53.3), a factor below 1, a falsy beta (the default), a lone mscale (ignored),
        // a negative attention_factor, a non-number factor when the original length replaces it.
        let loaded: [(String, Float)] = [
            (#""rope_scaling": {"rope_type": "yarn", "factor": 4}"#, Float(1 + 0.1 * log(4.0))),
            (#""rope_scaling": {"type": "yarn", "factor": 4.0, "beta_fast": 1.0, "beta_slow": 32.0, "truncate": false}"#, Float(1 + 0.1 * log(4.0))),
            (#""rope_scaling": {"rope_type": "yarn", "factor": 0.5, "beta_fast": 0, "mscale": "a"}"#, 1),
            (#""rope_scaling": {"rope_type": "yarn", "factor": 4.0, "attention_factor": -1.0}"#, -1),
            (#""rope_scaling": {"rope_type": "yarn", "factor": "x", "original_max_position_embeddings": 8}"#, Float(1 + 0.1 * log(8.0))),
        ]
        for (fields, attention) in loaded {
            let model = try TransformerModel.load(directory: try temporaryModel(fields))
            guard case .rotary(let rope) = model.architecture.position else { return XCTFail("not rotary") }
            XCTAssertEqual(rope.attentionScaling, attention, accuracy: 1e-6, fields)
        }
    }

    /// llama-gqa's checkpoint under its own config plus `fields` (max_position_embeddings 64).
    private func temporaryModel(_ fields: String) throws -> URL {
        let config = try String(contentsOf: Fixtures.model("llama-gqa").appendingPathComponent("config.json"), encoding: .utf8)
        let edited = config.replacingOccurrences(of: "\"rope_scaling\": null,", with: "")
            .replacingOccurrences(of: "\"rope_theta\": 10000.0,", with: "")
            .replacingOccurrences(of: "{\n", with: "{\n  \(fields),\n", options: .anchored)
        return try Fixtures.folder(config: edited, weights: Fixtures.weights("llama-gqa"), test: self, label: "yarn")
    }
}
