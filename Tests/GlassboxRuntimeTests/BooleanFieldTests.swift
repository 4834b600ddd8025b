import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// A boolean config field written as an integer or `null` (`"tie_word_embeddings": 0`,
/// `"mlp_bias": 1`, `"scale_attn_weights": null`) loads as transformers 4.53.3 reads it: Python
/// truthiness, so 0 and `null` act as `false` (even where the family's default is `true`) and any
/// other integer as `true`. A float or a string (`0.0`, `"false"`) is refused on purpose, though
/// transformers takes it (`"false"` is a non-empty string, so true: weights would be tied).
/// The reference is Tests/Fixtures/config-booleans/fields.json, written by
/// scripts/fixtures/generate_boolean_fields.py (transformers' AutoConfig, _from_config and one
/// forward per spelling, compared exactly with the runs of the literals `true` and `false`).
/// A composite checkpoint's sub-config fields are named `text_config.KEY`, as the loader's
/// messages name them.
/// Before, every integer was refused ("should be true or false") and `null` gave the default.
final class BooleanFieldTests: XCTestCase {
    private struct Reference: Decodable {
        struct Model: Decodable {
            struct Field: Decodable {
                struct Spelling: Decodable { let outcome: String; let acts_as: String?; let stage: String?; let error: String }
                let value: Bool
                let changes_forward: Bool
                let spellings: [String: Spelling]
            }
            let model_type: String
            let fields: [String: Field]
        }
        let models: [String: Model]
        let spellings: [String]
    }

    /// Fields Glassbox does not read: they change nothing it computes (a cache, a summary head,
    /// the router's auxiliary outputs, the order of float32 attention arithmetic, BLOOM's
    /// `slow_but_exact` summation order), so any spelling loads as the original.
    private static let unread: Set<String> = ["use_cache", "summary_proj_to_labels", "summary_use_proj",
                                               "output_router_logits", "reorder_and_upcast_attn", "slow_but_exact",
                                               "deterministic_flash_attn", "sparse_prediction", "repad_logits_with_grad"]

    /// Fields whose flip only adds or removes parameters the reference's `_from_config` run initialises
    /// to zero (ModernBERT's `norm_bias`: `ModernBertPreTrainedModel._init_weights` zeroes LayerNorm biases
    /// and draws nothing), so transformers' "either" there is not "unread": Glassbox reads the spelling
    /// by Python's truthiness with the fixture's weights, as the literal of that truth value.
    private static let zeroInitialised: Set<String> = ["modernbert-tiny norm_bias", "modernbert-bias norm_bias", "modernbert-cls norm_bias",
                                                       "modernbert-mean norm_bias",
                                                       "phimoe-plain lm_head_bias"]   // PhimoeForCausalLM's lm_head.bias, zeroed
    private static let truthiness: [String: String] = ["0": "false", "1": "true", "2": "true", "null": "false"]
    /// MPT's flags MptModel does not read (MptConfig / MptAttentionConfig store them; the keys are named
    /// whole: Falcon's `alibi` is read).
    private static let unreadFields: Set<String> = ["no_bias", "learned_pos_emb", "attn_config.alibi", "attn_config.qk_ln",
                                                     "attn_config.prefix_lm", "attn_config.attn_uses_sequence_id"]

    /// The spellings refused on purpose, with the value Python's truthiness gives them.
    private static let refused: [String: String] = ["0.0": "false", "\"false\"": "true"]

    /// A load's outcome: the run's output, or the error message with the copy's folder elided.
    private enum Run: Equatable { case output([Float]), failure(String) }

    private func reference() throws -> Reference {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/config-booleans/fields.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// A run's output, for comparing two loads (``fixtureOutput(_:)``).
    private func output(_ model: TransformerModel) throws -> [Float] { try fixtureOutput(model) }

    /// Loads and runs a copy of fixture `name` with `field`'s value (a key or `MEMBER.KEY`) written
    /// as `spelling`.
    private func run(_ name: String, _ field: String, _ spelling: String) throws -> Run {
        let folder = try Fixtures.linkedCopy(of: name, test: self, replacing: "config.json") { data in
            Data(try ConfigFieldText.respell(String(decoding: data, as: UTF8.self), field: field,
                                             value: "(?:true|false)\\b", as: { _ in spelling }).text.utf8)
        }
        do {
            return .output(try output(TransformerModel.load(directory: folder)))
        } catch {
            return .failure(error.localizedDescription.replacingOccurrences(of: folder.path, with: "<copy>"))
        }
    }

    func testEveryBooleanFieldSpelledOtherwiseLoadsAsTransformersReadsIt() throws {
        let reference = try reference()
        XCTAssertEqual(reference.models.keys.sorted(), try ConfigFieldText.fixtureCheckpoints(), "one entry per fixture model")
        XCTAssertEqual(reference.models.count, 106)
        XCTAssertEqual(reference.spellings, ["0", "1", "2", "null", "0.0", "\"false\""])
        var checked = 0, nested = 0, forwardRefusals = 0, counts: [String: Int] = [:]
        for (name, model) in reference.models.sorted(by: { $0.key < $1.key }) {
            let original = try output(TransformerModel.load(directory: Fixtures.model(name)))
            for (field, expected) in model.fields.sorted(by: { $0.key < $1.key }) {
                let literals = ["true": try run(name, field, "true"), "false": try run(name, field, "false")]
                XCTAssertEqual(literals[expected.value ? "true" : "false"], .output(original), "\(name) \(field): the literal as written")
                for spelling in reference.spellings {
                    let reference = try XCTUnwrap(expected.spellings[spelling], "\(name) \(field) \(spelling)")
                    let label = "\(name) \(field): \(spelling) (transformers: \(reference.outcome) \(reference.acts_as ?? ""))"
                    if reference.outcome == "refused" {
                        // transformers' forward fails on it (GPT-J's and Falcon's use_cache: truthy but
                        // not True): Glassbox refuses it too, naming the key and the spelling.
                        XCTAssertEqual(reference.stage, "forward", label)
                        guard case .failure(let message) = try run(name, field, spelling) else {
                            XCTFail("\(label): loaded"); continue
                        }
                        XCTAssertTrue(message.contains("'\(field)' is \(spelling)"), "\(label): \(message)")
                        forwardRefusals += 1
                        checked += 1
                        continue
                    }
                    XCTAssertEqual(reference.outcome, "acts_as", label)
                    let acts = try XCTUnwrap(reference.acts_as, label)
                    counts[acts, default: 0] += 1
                    let spelled = try run(name, field, spelling)
                    if field.contains(".") { nested += 1 }
                    let key = field.split(separator: ".").last.map(String.init) ?? field
                    if let truth = Self.refused[spelling], !Self.unread.contains(key), !Self.unreadFields.contains(field) {
                        // Refused on purpose; the message's claim about transformers is the fixture's.
                        XCTAssertTrue(acts == truth || acts == "either", label)
                        XCTAssertEqual(spelled, .failure("<copy>/config.json: '\(field)' should be true or false, got \(spelling) (write true or false; transformers would read \(spelling) as \(truth))"), label)
                    } else if Self.zeroInitialised.contains("\(name) \(field)"), let truth = Self.truthiness[spelling] {
                        XCTAssertEqual(spelled, literals[truth], label)
                    } else if acts == "either" {
                        XCTAssertEqual(spelled, .output(original), label)
                    } else {
                        XCTAssertEqual(spelled, literals[acts], label)
                    }
                    checked += 1
                }
            }
        }
        XCTAssertEqual(counts, ["true": 630, "false": 630, "either": 963])   // ELECTRA: +0, +0, +36; MPT: +3, +3, +84; ModernBERT: +27, +27, +48; CodeGen: +6, +6, +6; modernbert-cls: +9, +9, +30; PhiMoE: +15, +15, +30; modernbert-mean: +9, +9, +30
        XCTAssertEqual(forwardRefusals, 21)  // gptj-tiny, gptj-whole, codegen-tiny, codegen-wide, falcon-mq, -newarch, -seq: use_cache 1, 2, "false"
        XCTAssertEqual(checked, 2244)   // ELECTRA: 2 fields × 3 models × 6; MPT: +90; ModernBERT: 17 fields × 6 spellings; CodeGen: 2 fields × 2 models × 6; modernbert-cls, modernbert-mean: 8 fields × 6 each; PhiMoE: 10 × 6
        XCTAssertEqual(nested, 66)          // gemma3-mm's text_config: three fields, six spellings each; mpt's attn_config: four each
    }

    /// Spellings beyond the fixture's, with Python's reading of each (checked in the reference
    /// environment: `bool(-1)`, `bool("")`, `bool(float("nan"))`, `bool(1e400)` are True, False,
    /// True, True): a negative integer is true; an empty string, NaN and a number beyond Double are
    /// refused naming what transformers would make of them; an array keeps the decoder's message.
    /// A field the fixture models leave out reads the same way (`is_decoder`, `add_cross_attention`).
    func testOtherSpellingsAndAbsentFields() throws {
        let model = "gpt2-odd", field = "tie_word_embeddings"
        XCTAssertEqual(try run(model, field, "-1"), try run(model, field, "true"))
        XCTAssertNotEqual(try run(model, field, "true"), try run(model, field, "false"))
        for (spelling, truth) in [("\"\"", "false"), ("NaN", "true"), ("1e400", "true"), ("-0.0", "false"), ("\"0\"", "true")] {
            XCTAssertEqual(try run(model, field, spelling), .failure(
                "<copy>/config.json: '\(field)' should be true or false, got \(spelling) (write true or false; transformers would read \(spelling) as \(truth))"))
        }
        XCTAssertEqual(try run(model, field, "[true]"),
                       .failure("<copy>/config.json is not a valid config: '\(field)' should be true or false"))

        /// Loads a copy of `name` with `member` added after its model type.
        func adding(_ name: String, _ member: String) throws -> Run {
            let folder = try Fixtures.linkedCopy(of: name, test: self, replacing: "config.json") { data in
                let text = String(decoding: data, as: UTF8.self)
                let type = try XCTUnwrap(text.range(of: #""model_type": "[a-z0-9_]+""#, options: .regularExpression))
                return Data(text.replacingCharacters(in: type, with: text[type] + ", " + member).utf8)
            }
            do { return .output(try output(TransformerModel.load(directory: folder))) } catch {
                return .failure(error.localizedDescription.replacingOccurrences(of: folder.path, with: "<copy>"))
            }
        }
        let bert = try output(TransformerModel.load(directory: Fixtures.model("bert-cls")))
        XCTAssertEqual(try adding("bert-cls", #""is_decoder": 0"#), .output(bert))
        XCTAssertEqual(try adding("bert-cls", #""is_decoder": null"#), .output(bert))
        XCTAssertEqual(try adding("bert-cls", #""is_decoder": 3"#),
                       .failure("<copy>/config.json: 'is_decoder' is true; BERT-architecture models (BERT, RoBERTa, XLM-R, CamemBERT, ELECTRA) as decoders are not supported"))
        let gpt2 = try output(TransformerModel.load(directory: Fixtures.model("gpt2-tiny")))
        XCTAssertEqual(try adding("gpt2-tiny", #""add_cross_attention": null"#), .output(gpt2))
        XCTAssertEqual(try adding("gpt2-tiny", #""add_cross_attention": 1"#),
                       .failure("<copy>/config.json: 'add_cross_attention' is true; encoder-decoder GPT-2 is not supported"))
    }
}
