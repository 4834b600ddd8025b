import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// LongRoPE `rope_scaling` on the Llama family (`_compute_longrope_parameters` of transformers
/// 4.53.3) on the llama-longrope and qwen2-longrope fixtures of scripts/fixtures/generate.py: every
/// hook point against transformers at 1e-4 (fp32 both sides; llama-longrope's 24-token case is longer
/// than its top-level original_max_position_embeddings 16 and takes the long factors, the 1- and
/// 5-token cases the short ones), the inverse frequencies against those the reference used
/// (`rope_inv_freq` in each golden's metadata) to 1e-6 relative, the attention factor, and the
/// config errors transformers also raises (KeyError, TypeError, ZeroDivisionError, a shape
/// mismatch) next to the configs it only warns about, which load.
final class LongRopeTests: XCTestCase {
    /// Fixture, its original length (top-level `original_max_position_embeddings`, else
    /// `max_position_embeddings`), and the factor cos and sin carry.
    static let fixtures: [(name: String, original: Int, attention: Double)] = [
        ("llama-longrope", 16, (1 + log(4.0) / log(16.0)).squareRoot()),   // 64 / 16 replaces the written 8
        ("qwen2-longrope", 32, (1 + log(4.0) / log(32.0)).squareRoot()),   // rope_scaling's factor 4
    ]

    func testEveryHookPointMatchesTransformersOnBothSidesOfTheOriginalLength() throws {
        var lengths: [String: [Int]] = [:]
        for (name, original, attention) in Self.fixtures {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            guard case .rotary(let rope) = model.architecture.position,
                  case .longrope(_, _, let threshold, _) = rope.scaling else { return XCTFail("\(name): not LongRoPE") }
            XCTAssertEqual(threshold, original, name)
            XCTAssertEqual(Double(rope.attentionScaling), attention, accuracy: 1e-6, name)
            lengths[name, default: []] += try compareRopeGoldens(name, model: model, rope: rope).lengths
        }
        let llama = lengths["llama-longrope"] ?? []
        XCTAssertTrue(llama.contains { $0 > 16 } && llama.contains { $0 <= 16 }, "inputs on both sides of 16: \(llama)")
    }

    /// The factors themselves: up to the original length 16 each frequency is divided by its short
    /// factor, past it by its long one (llama-longrope: head_dim 16, θ 100); qwen2-longrope's one
    /// short factor 2 divides all 8 frequencies, as torch broadcasts it.
    func testFrequenciesAreDividedByTheShortOrLongFactors() throws {
        let plain = (0..<8).map { 1 / pow(100.0, Double(2 * $0) / 16) }
        let short = [1.0, 1.1, 1.25, 1.5, 2.0, 2.5, 3.0, 3.5], long = [1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0]
        let llama = try rope("llama-longrope")
        for (n, factors) in [(1, short), (16, short), (17, long), (64, long)] {
            for (a, (f, s)) in zip(llama.inverseFrequencies(length: n), zip(plain, factors)) {
                XCTAssertEqual(Double(a), f / s, accuracy: 1e-6 * f / s, "length \(n)")
            }
        }
        let qwen = try rope("qwen2-longrope")
        let qwenPlain = (0..<8).map { 1 / pow(1000.0, Double(2 * $0) / 16) }
        for (a, f) in zip(qwen.inverseFrequencies(length: 32), qwenPlain) { XCTAssertEqual(Double(a), f / 2, accuracy: 1e-6 * f) }
    }

    /// Cached decoding across the original length: a 10-token prefill (short factors), then one
    /// token a step to 24 positions; the step to 17 switches to the long factors, and every step's
    /// logits equal the cache-free forward of the whole prefix to 1e-5 of the logits' scale (the
    /// engine reads the sequence again there rather than mixing short-rotated cached keys with
    /// long-rotated new ones; scripts/fixtures/generate_generation.py says why transformers differs).
    func testCachedDecodingAcrossTheOriginalLengthEqualsTheForward() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("llama-longrope"))
        XCTAssertTrue(model.architecture.rotaryFrequenciesChange(from: 16, to: 17))
        XCTAssertFalse(model.architecture.rotaryFrequenciesChange(from: 10, to: 16))
        var rng = SplitMix64(seed: 11)
        let ids = (0..<24).map { _ in Int(rng.next() % 128) }
        var cache = try KVCache(for: model)
        for step in [0..<10] + (10..<24).map({ $0..<($0 + 1) }) {
            let logits = try model.decode(Array(ids[step]), cache: &cache)
            let expected = try XCTUnwrap(model.forward(Array(ids[0..<step.upperBound]), logitRows: .positions(Array(step))).logits)
            let scale = max(1, expected.storage.map(abs).max() ?? 0)
            assertClose(logits, expected, tolerance: 1e-5 * scale, "step \(step)")
        }
        XCTAssertEqual(cache.ids, ids)
    }

    /// What transformers refuses is a one-line config error naming the key (on llama-gqa: head_dim 8,
    /// so 4 factors per list, max_position_embeddings 64; mistral-swa and mixtral-moe, whose head_dim
    /// is null).
    func testConfigErrors() throws {
        let s = "[1.0, 1.5, 2.0, 2.5]", l = "[2.0, 3.0, 5.0, 8.0]"
        let lists = #""short_factor": \#(s), "long_factor": \#(l)"#
        let refused: [(String, String, String)] = [
            // transformers: `factor <= 1.0` with None or a string (TypeError)
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", \#(lists)}"#,
             "'rope_scaling' of type 'longrope' needs a numeric 'factor'"),
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", "factor": "4", \#(lists)}"#,
             "'rope_scaling' of type 'longrope' needs a numeric 'factor'"),
            // KeyError (validation), TypeError (validation iterates the value)
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", "factor": 4.0, "long_factor": \#(l)}"#,
             "'rope_scaling' of type 'longrope' needs 'short_factor'"),
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", "factor": 4.0, "short_factor": 5.0, "long_factor": \#(l)}"#,
             "'rope_scaling.short_factor' must be a list of numbers, got 5"),
            // a shape mismatch (3 or 0 against 4) or torch.tensor of a string: the rotary embedding is not built
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", "factor": 4.0, "short_factor": [1.0, 1.5, 2.0], "long_factor": \#(l)}"#,
             "'rope_scaling.short_factor' must list 4 positive numbers (one per rotated frequency) or one for all, got 3"),
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", "factor": 4.0, "short_factor": [], "long_factor": \#(l)}"#,
             "'rope_scaling.short_factor' must list 4 positive numbers (one per rotated frequency) or one for all, got 0"),
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", "factor": 4.0, "short_factor": [1.0, "x", 2.0, 2.5], "long_factor": \#(l)}"#,
             "'rope_scaling.short_factor' must list 4 positive numbers (one per rotated frequency) or one for all, got \"x\" in it"),
            // infinite frequency in transformers; refused as the other scalings' non-positive factors
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", "factor": 4.0, "short_factor": [1.0, 0, 2.0, 2.5], "long_factor": \#(l)}"#,
             "'rope_scaling.short_factor' must list 4 positive numbers (one per rotated frequency) or one for all, got 0 in it"),
            // long factors used past 16 (within 64): the mismatch fails the forward pass there
            ("llama-gqa", #""original_max_position_embeddings": 16, "rope_scaling": {"rope_type": "longrope", "short_factor": \#(s), "long_factor": [1.0, 2.0, 3.0]}"#,
             "'rope_scaling.long_factor' must list 4 positive numbers (one per rotated frequency) or one for all, got 3"),
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", "factor": 4.0, "attention_factor": "0.9", \#(lists)}"#,
             "'rope_scaling.attention_factor' must be a number, got \"0.9\""),
            // max / None, max / "16" (TypeError), max / 0 (ZeroDivisionError)
            ("llama-gqa", #""original_max_position_embeddings": null, "rope_scaling": {"rope_type": "longrope", "factor": 4.0, \#(lists)}"#,
             "'original_max_position_embeddings' must be a non-zero number with longrope rope_scaling (max_position_embeddings is divided by it), got null"),
            ("llama-gqa", #""original_max_position_embeddings": "16", "rope_scaling": {"rope_type": "longrope", \#(lists)}"#,
             "'original_max_position_embeddings' must be a non-zero number with longrope rope_scaling (max_position_embeddings is divided by it), got \"16\""),
            ("llama-gqa", #""original_max_position_embeddings": 0, "rope_scaling": {"rope_type": "longrope", \#(lists)}"#,
             "'original_max_position_embeddings' must be a non-zero number"),
            // ln 1 = 0 (ZeroDivisionError); √ of a negative number (math domain error)
            ("llama-gqa", #""original_max_position_embeddings": 1, "rope_scaling": {"rope_type": "longrope", \#(lists)}"#,
             "'original_max_position_embeddings' is 1 while the LongRoPE factor is 64: the attention factor √(1 + ln factor / ln original_max_position_embeddings) divides by ln 1 = 0"),
            ("llama-gqa", #""original_max_position_embeddings": 0.5, "rope_scaling": {"rope_type": "longrope", \#(lists)}"#,
             "'original_max_position_embeddings' is 0.5 while the LongRoPE factor is 128: the attention factor √(1 + ln factor / ln original_max_position_embeddings) is not a real number"),
            ("llama-gqa", #""max_position_embeddings": 1, "rope_scaling": {"rope_type": "longrope", "factor": 4.0, \#(lists)}"#,
             "'max_position_embeddings' is 1 while the LongRoPE factor is 4"),
            // head_dim None * partial_rotary_factor (TypeError)
            ("mistral-swa", #""rope_scaling": {"rope_type": "longrope", "factor": 4.0, \#(lists)}"#,
             "'head_dim' must be given with longrope rope_scaling for mistral (transformers leaves it null there and cannot multiply it)"),
            ("mixtral-moe", #""rope_scaling": {"rope_type": "longrope", "factor": 4.0, "short_factor": [1.0, 2.0, 3.0], "long_factor": [1.0, 2.0, 3.0]}"#,
             "'head_dim' must be given with longrope rope_scaling for mixtral"),
        ]
        for (fixture, fields, message) in refused {
            XCTAssertThrowsError(try TransformerModel.load(directory: try temporaryModel(fixture, fields))) { error in
                guard case LoadError.invalidConfig = error else { return XCTFail("\(fields): \(error)") }
                let text = error.localizedDescription
                XCTAssertTrue(text.contains("config.json: \(message)"), "\(message) not in \(text)")
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
    }

    /// What transformers only warns about (or accepts silently) loads with the numbers it uses:
    /// attention factor and the length past which the long factors apply.
    func testConfigsTransformersAcceptsLoadAsItReadsThem() throws {
        let s = "[1.0, 1.5, 2.0, 2.5]", l = "[2.0, 3.0, 5.0, 8.0]"
        let lists = #""short_factor": \#(s), "long_factor": \#(l)"#
        let sqrt = { (f: Double, o: Double) in Float((1 + log(f) / log(o)).squareRoot()) }
        let loaded: [(String, String, Float, Int)] = [
            // an integer factor, the "type" key, a factor below 1 or true, an unknown key and an
            // original length inside rope_scaling (unused by 4.53.3: the threshold stays 64)
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", "factor": 4, \#(lists)}"#, sqrt(4, 64), 64),
            ("llama-gqa", #""rope_scaling": {"type": "longrope", "factor": 0.5, \#(lists)}"#, 1, 64),
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", "factor": true, \#(lists)}"#, 1, 64),
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", "factor": 4.0, "original_max_position_embeddings": 16, "truncate": 1, \#(lists)}"#,
             sqrt(4, 64), 64),
            // attention_factor given: factor unused (even missing); negative warned about
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", "attention_factor": 0.9, \#(lists)}"#, 0.9, 64),
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", "factor": 4.0, "attention_factor": -1.0, \#(lists)}"#, -1, 64),
            // a top-level original length replaces the factor (here a string), as a float too
            ("llama-gqa", #""original_max_position_embeddings": 16, "rope_scaling": {"rope_type": "longrope", "factor": "x", \#(lists)}"#,
             sqrt(4, 16), 16),
            ("llama-gqa", #""original_max_position_embeddings": 16.5, "rope_scaling": {"rope_type": "longrope", \#(lists)}"#,
             sqrt(64 / 16.5, 16.5), 16),
            // negative: factor < 1 (attention 1) and every length is longer; above max: never longer
            ("llama-gqa", #""original_max_position_embeddings": -4, "rope_scaling": {"rope_type": "longrope", \#(lists)}"#, 1, -1),
            ("llama-gqa", #""original_max_position_embeddings": 128, "rope_scaling": {"rope_type": "longrope", \#(lists)}"#, 1, 64),
            // long factors never used within 64 positions: a wrong length only draws a warning
            ("llama-gqa", #""rope_scaling": {"rope_type": "longrope", "factor": 4.0, "short_factor": \#(s), "long_factor": [1.0, 2.0, 3.0]}"#,
             sqrt(4, 64), 64),
            // an explicit head_dim, which transformers multiplies
            ("mistral-swa", #""head_dim": 8, "rope_scaling": {"rope_type": "longrope", "factor": 4.0, \#(lists)}"#, sqrt(4, 32), 32),
            ("mixtral-moe", #""head_dim": 6, "rope_scaling": {"rope_type": "longrope", "factor": 4.0, "short_factor": [1.0, 2.0, 3.0], "long_factor": [1.0, 2.0, 3.0]}"#,
             sqrt(4, 64), 64),
        ]
        for (fixture, fields, attention, threshold) in loaded {
            let model = try TransformerModel.load(directory: try temporaryModel(fixture, fields))
            guard case .rotary(let rope) = model.architecture.position,
                  case .longrope(_, _, let original, _) = rope.scaling else { return XCTFail("\(fields): not LongRoPE") }
            XCTAssertEqual(rope.attentionScaling, attention, accuracy: 1e-6, fields)
            XCTAssertEqual(original, threshold, fields)
        }
        // -4: the long factors from the first position (transformers: seq_len 1 > -4).
        let negative = try TransformerModel.load(directory: try temporaryModel("llama-gqa",
            #""original_max_position_embeddings": -4, "rope_scaling": {"rope_type": "longrope", \#(lists)}"#))
        guard case .rotary(let rope) = negative.architecture.position else { return XCTFail("not rotary") }
        let plain = (0..<4).map { 1 / pow(10000.0, Double(2 * $0) / 8) }
        for (a, (f, g)) in zip(rope.inverseFrequencies(length: 1), zip(plain, [2.0, 3.0, 5.0, 8.0])) {
            XCTAssertEqual(Double(a), f / g, accuracy: 1e-6 * f / g)
        }
    }

    private func rope(_ name: String) throws -> RotaryEmbedding {
        let model = try TransformerModel.load(directory: Fixtures.model(name))
        guard case .rotary(let rope) = model.architecture.position else { throw XCTSkip("\(name): not rotary") }
        return rope
    }

    /// `fixture`'s checkpoint under its own config with `fields` (JSON members) set over it.
    private func temporaryModel(_ fixture: String, _ fields: String) throws -> URL {
        let source = Fixtures.model(fixture)
        var config = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any])
        let extra = try XCTUnwrap(JSONSerialization.jsonObject(with: Data("{\(fields)}".utf8)) as? [String: Any])
        config.merge(extra) { _, new in new }
        let folder = try makeTemporaryFolder("longrope")
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"),
                                         to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }
}
