import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `rope_scaling` of Gemma 1–3, GPT-NeoX and OLMo 2 as transformers 4.53.3 applies it: every rotary
/// module of these families goes through `ROPE_INIT_FUNCTIONS`, and only the config classes differ
/// (Gemma and Gemma 2 pass it on unchecked; Gemma 3 validates without reading `type`; GPT-NeoX
/// copies `type` over `rope_type` and validates; OLMo 2 allows only `type` linear or dynamic with a
/// float factor above 1). Fixtures of scripts/fixtures/generate.py: every hook point against
/// transformers at 1e-4 (fp32 both sides; the dynamic fixtures' longest case runs past
/// `max_position_embeddings`), the inverse frequencies against those the reference used
/// (`rope_inv_freq` in each golden's metadata) to 1e-6 relative, and the config errors
/// transformers also raises, each as one exact line.
final class FamilyRopeScalingTests: XCTestCase {
    /// Fixture, the length its scaling changes beyond (nil: none), and the factor cos and sin carry.
    static let fixtures: [(name: String, original: Int?, attention: Double)] = [
        ("gemma-rope-dynamic", 16, 1),
        ("gemma2-rope-linear", nil, 1),
        ("olmo2-rope-dynamic", 16, 1),
        // yarn on 8 of 16 dimensions, factor 64 / 16 = 4 (the written 8 is replaced).
        ("neox-rope-yarn", nil, 1 + 0.1 * log(4.0)),
    ]

    func testEveryHookPointMatchesTransformers() throws {
        for (name, original, attention) in Self.fixtures {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            guard case .rotary(let rope) = model.architecture.position else { return XCTFail("\(name): not rotary") }
            XCTAssertNotEqual(rope.scaling, .none, name)
            XCTAssertEqual(Double(rope.attentionScaling), attention, accuracy: 1e-6, name)
            let (lengths, hooks) = try compareRopeGoldens(name, model: model, rope: rope)
            let longest = lengths.max() ?? 0
            XCTAssertGreaterThan(hooks, 100, name)
            if let original { XCTAssertGreaterThan(longest, original, "\(name): an input past the original length") }
        }
    }

    /// The scalings themselves: Gemma 2's frequencies a quarter of the plain ones (θ 100, 8
    /// dimensions); Gemma's dynamic base unchanged up to 16 positions and `100 · (2·24/16 − 1)^(12/10)`
    /// at 24; GPT-NeoX's yarn on its 8 rotated dimensions only (frequency 0 kept, 1 blended, 2 and 3
    /// divided by 4).
    func testScaledFrequencies() throws {
        func rope(_ name: String) throws -> RotaryEmbedding {
            guard case .rotary(let rope) = try TransformerModel.load(directory: Fixtures.model(name)).architecture.position
            else { throw XCTSkip("\(name): not rotary") }
            return rope
        }
        let plain8 = (0..<4).map { 1 / pow(100.0, Double(2 * $0) / 8) }
        for (a, b) in zip(try rope("gemma2-rope-linear").inverseFrequencies(length: 13), plain8) {
            XCTAssertEqual(Double(a), b / 4, accuracy: 1e-6 * b)
        }
        let gemma = try rope("gemma-rope-dynamic")
        let grown = 100 * pow(2 * 24 / 16 - 1.0, 12.0 / 10)
        for i in 0..<6 {
            XCTAssertEqual(Double(gemma.inverseFrequencies(length: 16)[i]), 1 / pow(100, Double(2 * i) / 12), accuracy: 1e-6)
            XCTAssertEqual(Double(gemma.inverseFrequencies(length: 24)[i]), 1 / pow(grown, Double(2 * i) / 12), accuracy: 1e-6)
        }
        let neox = try rope("neox-rope-yarn")
        XCTAssertEqual(neox.dimensions, 8)
        let yarn = neox.inverseFrequencies(length: 20).map(Double.init)
        XCTAssertEqual(yarn[0], plain8[0], accuracy: 1e-7)
        XCTAssertTrue(yarn[1] < plain8[1] && yarn[1] > plain8[1] / 4, "\(yarn[1]) blended")
        XCTAssertEqual(yarn[2], plain8[2] / 4, accuracy: 1e-9)
        XCTAssertEqual(yarn[3], plain8[3] / 4, accuracy: 1e-9)
        // Dynamic NTK runs past the trained length: the context grows by the factor.
        XCTAssertEqual(try TransformerModel.load(directory: Fixtures.model("gemma-rope-dynamic")).architecture.contextLength, 32)
        XCTAssertEqual(try TransformerModel.load(directory: Fixtures.model("olmo2-rope-dynamic")).architecture.contextLength, 32)
        // YaRN stretches the original length by its factor: 16 × (64 / 16) = max_position_embeddings
        // when rope_scaling names the original length (llama-rope-yarn), factor × max_position_embeddings
        // when it does not (neox-rope-yarn without it: 8 × 64). Before, both stopped at
        // max_position_embeddings, so a YaRN checkpoint whose config keeps the original length
        // refused the inputs it was extended for (transformers runs them).
        XCTAssertEqual(try TransformerModel.load(directory: Fixtures.model("llama-rope-yarn")).architecture.contextLength, 64)
        let stretched = try Fixtures.textEditedCopy(of: "neox-rope-yarn", test: self) {
            $0.replacingOccurrences(of: #""original_max_position_embeddings": 16,"#, with: "")
        }
        let neoxYarn = try TransformerModel.load(directory: stretched)
        XCTAssertEqual(neoxYarn.architecture.contextLength, 512)
        XCTAssertNoThrow(try neoxYarn.forward(Array(repeating: 3, count: 80)))
    }

    /// Gemma 3 scales its full-attention layers only: the sliding layers' rotary module is a copy of
    /// the config with `rope_local_base_freq` and `{"rope_type": "default"}`.
    func testGemma3ScalesOnlyItsFullAttentionLayers() throws {
        let model = try TransformerModel.load(directory: try temporaryModel("gemma3-text",
            #""rope_scaling": {"rope_type": "yarn", "factor": 4.0, "attention_factor": 0.5}"#))
        guard case .rotary(let global) = model.architecture.position else { return XCTFail("not rotary") }
        let local = try XCTUnwrap(model.architecture.slidingRotary)
        XCTAssertEqual(global.attentionScaling, 0.5)
        XCTAssertEqual(global.base, 1000)
        XCTAssertEqual(local.scaling, .none)
        XCTAssertEqual(local.base, 50)
        XCTAssertEqual(local.attentionScaling, 1)
    }

    /// What transformers 4.53.3 raises on, per family, as one line naming the file and key.
    func testConfigErrors() throws {
        let all = "default, linear, dynamic, llama3, yarn, longrope"
        let olmo = "(transformers' Olmo2Config allows exactly 'type' and 'factor')"
        let refused: [(fixture: String, fields: String, message: String)] = [
            // transformers: KeyError None (no type), KeyError 'ntk', KeyError 'factor', TypeError.
            ("gemma-tiny", #""rope_scaling": {"factor": 2.0}"#, "'rope_scaling' needs a 'rope_type' (or 'type')"),
            ("gemma2-softcap", #""rope_scaling": {}"#, "'rope_scaling' needs a 'rope_type' (or 'type')"),
            ("gemma-tiny", #""rope_scaling": {"rope_type": null, "type": "linear", "factor": 2.0}"#,
             "'rope_scaling.rope_type' must be one of \(all), got null"),
            ("gemma2-softcap", #""rope_scaling": {"rope_type": "ntk", "factor": 2.0}"#,
             "'rope_scaling' type 'ntk' is not supported for gemma2; supported: \(all)"),
            ("gemma-tiny", #""rope_scaling": {"rope_type": "linear"}"#, "'rope_scaling' of type 'linear' needs a numeric 'factor'"),
            ("gemma2-softcap", #""rope_scaling": {"type": "linear", "factor": "2"}"#,
             "'rope_scaling' of type 'linear' needs a numeric 'factor'"),
            ("gemma-tiny", #""rope_theta": 1, "rope_scaling": {"rope_type": "yarn", "factor": 4.0}"#,
             "'rope_theta' must not be 1 with yarn rope_scaling (its correction range divides by ln rope_theta)"),
            ("gemma2-softcap", #""rope_scaling": {"rope_type": "longrope", "factor": 2.0, "short_factor": [1.0]}"#,
             "'rope_scaling' of type 'longrope' needs 'long_factor'"),
            // Gemma 3's validation requires rope_type: KeyError "Missing required keys ... {'rope_type'}".
            ("gemma3-text", #""rope_scaling": {"type": "linear", "factor": 2.0}"#,
             "'rope_scaling' needs a 'rope_type' for gemma3_text (transformers' config class does not read 'type' there)"),
            ("gemma3-text", #""rope_scaling": {"type": "default"}"#,
             "'rope_scaling' needs a 'rope_type' for gemma3_text (transformers' config class does not read 'type' there)"),
            ("gemma3-text", #""rope_scaling": {"rope_type": "linear"}"#, "'rope_scaling' of type 'linear' needs a numeric 'factor'"),
            // GPT-NeoX: `type` is copied over `rope_type`; the base is rotary_emb_base; neox-parallel
            // rotates 0.4 · 10 = 4 dimensions, 2 frequencies (transformers: a shape mismatch).
            ("neox-parallel", #""rope_scaling": {"factor": 2.0}"#, "'rope_scaling' needs a 'rope_type' (or 'type')"),
            ("neox-parallel", #""rope_scaling": {"rope_type": "linear", "type": "ntk", "factor": 2.0}"#,
             "'rope_scaling' type 'ntk' is not supported for gpt_neox; supported: \(all)"),
            ("neox-parallel", #""rotary_emb_base": 1, "rope_scaling": {"rope_type": "yarn", "factor": 4.0}"#,
             "'rotary_emb_base' must not be 1 with yarn rope_scaling (its correction range divides by ln rotary_emb_base)"),
            ("neox-parallel", #""rope_scaling": {"rope_type": "longrope", "factor": 2.0, "short_factor": [1, 1, 1, 1, 1, 1, 1, 1], "long_factor": [2.0]}"#,
             "'rope_scaling.short_factor' must list 2 positive numbers (one per rotated frequency) or one for all, got 8"),
            // Dynamic NTK on two rotated dimensions: dim / (dim − 2) is a ZeroDivisionError when
            // transformers builds the rotary module (neox-parallel: 0.2 · 10; falcon-mq: 32 / 16 heads).
            ("neox-parallel", #""rotary_pct": 0.2, "rope_scaling": {"rope_type": "dynamic", "factor": 2.0}"#,
             "'rope_scaling' of type 'dynamic' needs more than 2 rotated dimensions per head, got 2 (transformers raises the base to dim / (dim − 2): ZeroDivisionError)"),
            ("falcon-mq", #""num_attention_heads": 16, "rope_scaling": {"rope_type": "dynamic", "factor": 2.0}"#,
             "'rope_scaling' of type 'dynamic' needs more than 2 rotated dimensions per head, got 2 (transformers raises the base to dim / (dim − 2): ZeroDivisionError)"),
            // OLMo 2's own check (ValueError).
            ("olmo2-postnorm", #""rope_scaling": {"rope_type": "linear", "factor": 2.0}"#,
             "'rope_scaling.type' must be \"linear\" or \"dynamic\" for olmo2 \(olmo), got nothing"),
            ("olmo2-postnorm", #""rope_scaling": {"type": "yarn", "factor": 2.0}"#,
             "'rope_scaling.type' must be \"linear\" or \"dynamic\" for olmo2 \(olmo), got \"yarn\""),
            ("olmo2-postnorm", #""rope_scaling": {"type": "default", "factor": 2.0}"#,
             "'rope_scaling.type' must be \"linear\" or \"dynamic\" for olmo2 \(olmo), got \"default\""),
            ("olmo2-postnorm", #""rope_scaling": {"type": "linear", "factor": 2}"#,
             "'rope_scaling.factor' must be a float above 1 for olmo2 (written with a decimal point), got 2"),
            ("olmo2-postnorm", #""rope_scaling": {"type": "linear", "factor": 1.0}"#,
             "'rope_scaling.factor' must be a float above 1 for olmo2 (written with a decimal point), got 1.0"),
            ("olmo2-postnorm", #""rope_scaling": {"type": "linear", "factor": true}"#,
             "'rope_scaling.factor' must be a float above 1 for olmo2 (written with a decimal point), got true"),
            ("olmo2-postnorm", #""rope_scaling": {"type": "linear", "factor": 2.0, "rope_type": "linear"}"#,
             "'rope_scaling' must have two fields for olmo2 \(olmo), got factor, rope_type, type"),
            ("olmo2-postnorm", #""rope_scaling": {}"#, "'rope_scaling' must have two fields for olmo2 \(olmo), got none"),
        ]
        for (fixture, fields, message) in refused {
            XCTAssertThrowsError(try TransformerModel.load(directory: try temporaryModel(fixture, fields))) { error in
                guard case LoadError.invalidConfig = error else { return XCTFail("\(fields): \(error)") }
                let text = error.localizedDescription
                XCTAssertTrue(text.hasSuffix("config.json: " + message), "\(fixture) \(fields):\n  \(text)\n  wanted: \(message)")
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
    }

    /// What transformers 4.53.3 loads, at most with a warning, and the scaling it then uses.
    func testConfigsTransformersLoads() throws {
        let loaded: [(fixture: String, fields: String, scaling: RopeScaling)] = [
            // Gemma, Gemma 2: rope_type first, else type; an integer factor; default with extra keys.
            ("gemma-tiny", #""rope_scaling": {"rope_type": "linear", "factor": 2.0}"#, .linear(factor: 2)),
            ("gemma-tiny", #""rope_scaling": {"rope_type": "linear", "type": "dynamic", "factor": 2.0}"#, .linear(factor: 2)),
            ("gemma2-softcap", #""rope_scaling": {"type": "dynamic", "factor": 2}"#, .dynamic(factor: 2)),
            ("gemma2-softcap", #""rope_scaling": {"type": "default"}"#, .none),
            ("gemma-tiny", #""rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8}"#,
             .llama3(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositions: 8)),
            // Gemma 3 warns about an integer factor and an unknown key.
            ("gemma3-text", #""rope_scaling": {"rope_type": "linear", "factor": 2}"#, .linear(factor: 2)),
            ("gemma3-text", #""rope_scaling": {"rope_type": "default", "factor": 2.0}"#, .none),
            ("gemma3-text", #""rope_scaling": {"rope_type": "linear", "type": "dynamic", "factor": 8.0}"#, .linear(factor: 8)),
            // GPT-NeoX: type wins over rope_type.
            ("neox-parallel", #""rope_scaling": {"type": "linear", "factor": 2.0}"#, .linear(factor: 2)),
            ("neox-parallel", #""rope_scaling": {"rope_type": "linear", "type": "dynamic", "factor": 2.0}"#, .dynamic(factor: 2)),
            // OLMo 2: a float literal, also with an exponent.
            ("olmo2-postnorm", #""rope_scaling": {"type": "linear", "factor": 2e0}"#, .linear(factor: 2)),
            ("olmo2-postnorm", #""rope_scaling": {"type": "dynamic", "factor": 1.5}"#, .dynamic(factor: 1.5)),
            ("olmo2-postnorm", #""rope_scaling": null"#, .none),
        ]
        for (fixture, fields, scaling) in loaded {
            let model = try TransformerModel.load(directory: try temporaryModel(fixture, fields))
            guard case .rotary(let rope) = model.architecture.position else { return XCTFail("\(fixture): not rotary") }
            XCTAssertEqual(rope.scaling, scaling, "\(fixture) \(fields)")
        }
        // Gemma 3's longrope with one factor for all (warned about), the top-level original length 8 of 64.
        let model = try TransformerModel.load(directory: try temporaryModel("gemma3-text",
            #""original_max_position_embeddings": 8, "rope_scaling": {"rope_type": "longrope", "short_factor": [1.0], "long_factor": [2.0]}"#))
        guard case .rotary(let rope) = model.architecture.position else { return XCTFail("not rotary") }
        // Mixtral's dynamic NTK runs past its 64 trained positions like the other families' (it was
        // held to 64, so a generation stopped there). transformers' dynamic tables read head_dim as
        // written, and MixtralConfig holds None unless it is given: the config names the width.
        let mixtral = try TransformerModel.load(directory: try temporaryModel("mixtral-moe", #""head_dim": 6, "rope_scaling": {"rope_type": "dynamic", "factor": 2.0}"#))
        XCTAssertEqual(mixtral.architecture.contextLength, 128)
        XCTAssertNoThrow(try mixtral.forward(Array(repeating: 3, count: 100)))
        XCTAssertEqual(Double(rope.attentionScaling), (1 + log(8.0) / log(8.0)).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(rope.inverseFrequencies(length: 9)[1] * 2, rope.inverseFrequencies(length: 8)[1], accuracy: 1e-9)
    }

    /// `fixture`'s checkpoint under its own config with `fields` written first (the keys they set,
    /// and `rope_scaling`, removed from the rest; literals kept as written).
    private func temporaryModel(_ fixture: String, _ fields: String) throws -> URL {
        var config = try String(contentsOf: Fixtures.model(fixture).appendingPathComponent("config.json"), encoding: .utf8)
        for key in ["rope_scaling", "rope_theta", "rotary_emb_base", "original_max_position_embeddings", "rotary_pct", "num_attention_heads", "head_dim"]
        where key == "rope_scaling" || fields.contains("\"\(key)\"") {
            config = config.replacingOccurrences(of: #"\n *"\#(key)": (\{[^}]*\}|[^,\n]*),"#, with: "",
                                                 options: .regularExpression)
        }
        config = config.replacingOccurrences(of: "{\n", with: "{\n  \(fields),\n", options: .anchored)
        return try Fixtures.folder(config: config, weights: Fixtures.weights(fixture), test: self, label: "rope")
    }
}
