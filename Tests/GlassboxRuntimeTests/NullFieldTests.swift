import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// A number or string config field written `null` (`"num_heads": null`) loads as transformers
/// 4.53.3 reads it: refused where transformers fails on it (one `LoadError.invalidConfig` naming
/// the key: "'num_heads' is null; …"), exactly the unedited output where transformers' run gives
/// exactly its unedited output, and transformers' output where its run gives another one
/// (Gemma 2's softcappings: null is none).
/// The reference is Tests/Fixtures/config-nulls/fields.json, written by
/// scripts/fixtures/generate_null_fields.py: each field nulled in a copy of a fixture checkpoint,
/// loaded as a user loads it (`from_pretrained` with the checkpoint's weights, not `_from_config`'s
/// random initialisation, which reads fields a loaded model never does: `initializer_range`) and run
/// once. Where the null's reading implies other weight shapes (`n_inner: null` is 4 × n_embd, not the
/// checkpoint's) transformers refuses the checkpoint with a size mismatch (`weights_mismatch`), and
/// any refusal by Glassbox matches (its weight-shape error is enough); where a changed reading runs
/// (Gemma 2's softcapping: null is none) Glassbox must give that output.
/// A composite checkpoint's sub-config fields are named `text_config.KEY` and `vision_config.KEY`.
/// Before, most fields read `null` as "use the default": GPT-Neo's `num_heads: null` built 16 heads
/// from a 4-head checkpoint, where transformers raises.
final class NullFieldTests: XCTestCase {
    private struct Reference: Decodable {
        struct Model: Decodable {
            struct Field: Decodable {
                let outcome: String
                let stage: String?
                let error: String
                let weights_mismatch: Bool
                let max_abs_delta: Double?
                let output: [Float]?
            }
            let model_type: String
            let fields: [String: Field]
        }
        let models: [String: Model]
    }

    /// "changed" fields refused on purpose: transformers runs them to a model Glassbox does not
    /// support (BERT-like `position_embedding_type: null` adds no position embeddings at all).
    private static let refusedOnPurpose: Set<String> = ["position_embedding_type"]
    /// Model types that run those fields' changed reading, compared with transformers' output instead
    /// (GraniteMoE: `position_embedding_type` other than "rope" builds no rotary embedding).
    private static let runsRefusedOnPurpose: Set<String> = ["granitemoe", "granitemoeshared"]

    /// Entries (`model field`) where Glassbox does not yet do what transformers does, listed so
    /// that any change (a fix or a regression) fails this test. See docs/correctness.md. Why each
    /// is left: `llama-longrope head_dim` and `original_max_position_embeddings`
    /// are refused, but by the rope_scaling checks' own message, not as null; gemma3-mm's
    /// `vision_config.*` (the SigLIP tower), `image_token_index` and `mm_tokens_per_image` are
    /// decoded outside the shared paths;
    /// `initializer_range` (10) is read by `from_pretrained` only for a module the checkpoint does not
    /// fully hold: here a tied output layer with a bias (GPT-J's, CodeGen's and Phi's lm_head, the MLM decoders),
    /// whose weight is not stored, so it is initialised (TypeError in normal_) before tying — Glassbox
    /// reads the field nowhere, and refusing it needs the loader's view of which weights are stored.
    static let knownGaps: Set<String> = [
        "bert-tiny-mlm initializer_range",   // transformers: load | loads, to the unedited output (the tied output layer has a bias: from_pretrained initialises it)
        "camembert-mlm initializer_range",   // transformers: load | loads, to the unedited output (the tied output layer has a bias: from_pretrained initialises it)
        "distilbert-mlm initializer_range",   // transformers: load | loads, to the unedited output (the tied output layer has a bias: from_pretrained initialises it)
        "gemma3-mm image_token_index",   // transformers: forward | loads, to the unedited output
        "gemma3-mm mm_tokens_per_image",   // transformers: load | loads, to the unedited output
        "gemma3-mm vision_config.hidden_act",   // transformers: load | loads, to the unedited output
        "gemma3-mm vision_config.hidden_size",   // transformers: load | loads, to the unedited output
        "gemma3-mm vision_config.image_size",   // transformers: load | loads, to the unedited output
        "gemma3-mm vision_config.intermediate_size",   // transformers: load | loads, to the unedited output
        "gemma3-mm vision_config.num_attention_heads",   // transformers: load | loads, to the unedited output
        "gemma3-mm vision_config.num_channels",   // transformers: load | loads, to the unedited output
        "gemma3-mm vision_config.num_hidden_layers",   // transformers: load | loads, to the unedited output
        "gemma3-mm vision_config.patch_size",   // transformers: load | loads, to the unedited output
        "gptj-whole initializer_range",   // transformers: load | loads, to the unedited output (the tied output layer has a bias: from_pretrained initialises it)
        "codegen-wide initializer_range",   // transformers: load | loads, to the unedited output (the tied output layer has a bias: from_pretrained initialises it)
        "modernbert-tiny initializer_range",   // transformers: load | loads, to the unedited output (the tied output layer has a bias: from_pretrained initialises it)
        "electra-gen initializer_range",   // transformers: load | loads, to the unedited output (the tied output layer has a bias: from_pretrained initialises it)
        "llama-longrope head_dim",   // transformers: load | refused: other: <copy>/config.json: 'rope_scaling.short_factor' must list 4 positive numbers (one per rotated frequency) or one 
        "llama-longrope original_max_position_embeddings",   // transformers: load | refused: other: <copy>/config.json: 'original_max_position_embeddings' must be a non-zero number with longrope rope_scaling (max
        "phi-qknorm initializer_range",   // transformers: load | loads, to the unedited output (the tied output layer has a bias: from_pretrained initialises it)
        "roberta-mlm initializer_range",   // transformers: load | loads, to the unedited output (the tied output layer has a bias: from_pretrained initialises it)
        "xlmr-mlm initializer_range",   // transformers: load | loads, to the unedited output (the tied output layer has a bias: from_pretrained initialises it)
    ]

    /// Largest |Δ| allowed between Glassbox's output and transformers' on a "changed" entry.
    private static let tolerance: Float = 1e-4

    /// A JSON string or number as written.
    private static let scalar = #""(?:[^"\\]|\\.)*"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"#

    /// `text` with the value of top-level member `key` (a string or a number) written `null`, or nil
    /// when `key` is not a top-level member: a composite config repeats keys in its sub-configs
    /// (gemma3-mm's `initializer_range`), which ``ConfigFieldText/respell(_:field:value:as:)`` counts.
    private static func nullingTopLevel(_ key: String, in text: String) -> String? {
        let pattern = try! NSRegularExpression(pattern: "\"\(NSRegularExpression.escapedPattern(for: key))\"\\s*:\\s*(\(scalar))")
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            guard let whole = Range(match.range, in: text), let value = Range(match.range(at: 1), in: text) else { continue }
            var depth = 0, inString = false, escaped = false
            for c in text[..<whole.lowerBound] {
                if inString {
                    if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                } else if c == "\"" { inString = true } else if c == "{" || c == "[" { depth += 1 } else if c == "}" || c == "]" { depth -= 1 }
            }
            if depth == 1 && !inString { return text.replacingCharacters(in: value, with: "null") }
        }
        return nil
    }

    private enum Run: Equatable { case output([Float]), failure(String) }

    private func reference() throws -> Reference {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/config-nulls/fields.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// Loads and runs a copy of fixture `name` with `field` (a key or `MEMBER.KEY`) written `null`;
    /// a failure is kept as it is only when it is one `LoadError.invalidConfig` naming `field` as null
    /// ("is null; …", or a family's own "is null, …"), any other failure is marked "other: ".
    private func nulled(_ name: String, _ field: String) throws -> Run {
        let folder = try Fixtures.linkedCopy(of: name, test: self, replacing: "config.json") { data in
            let text = String(decoding: data, as: UTF8.self)
            if !field.contains("."), let nulled = Self.nullingTopLevel(field, in: text) { return Data(nulled.utf8) }
            return Data(try ConfigFieldText.respell(text, field: field, value: Self.scalar, as: { _ in "null" }).text.utf8)
        }
        do {
            return .output(try fixtureOutput(TransformerModel.load(directory: folder)))
        } catch let error as LoadError {
            if case .invalidConfig(_, let key, let detail) = error, key == field, detail.hasPrefix("is null") {
                return .failure(detail)
            }
            return .failure("other: \(error.localizedDescription)")
        } catch {
            return .failure("other: \(error.localizedDescription)")
        }
    }

    func testEveryNumberOrStringFieldAsNullLoadsAsTransformersReadsIt() throws {
        let reference = try reference()
        XCTAssertEqual(reference.models.keys.sorted(), try ConfigFieldText.fixtureCheckpoints(), "one entry per fixture model")
        XCTAssertEqual(reference.models.count, 106)
        var counts: [String: Int] = [:], nested = 0, mismatches: [String: String] = [:]
        for (name, model) in reference.models.sorted(by: { $0.key < $1.key }) {
            let original = try fixtureOutput(TransformerModel.load(directory: Fixtures.model(name)))
            for (field, expected) in model.fields.sorted(by: { $0.key < $1.key }) {
                counts[expected.outcome, default: 0] += 1
                if field.contains(".") { nested += 1 }
                let run = try nulled(name, field)
                let key = field.split(separator: ".").last.map(String.init) ?? field
                let refusedOnPurpose = Self.refusedOnPurpose.contains(key) && !Self.runsRefusedOnPurpose.contains(model.model_type)
                var problem: String?
                switch (expected.outcome, run) {
                case ("refused", .failure(let detail)) where !detail.hasPrefix("other: "):
                    break
                case ("refused", .failure) where expected.weights_mismatch:
                    break   // transformers refuses the checkpoint: its weights do not fit the null's reading
                case ("same", .output(let values)) where values == original:
                    break
                case ("changed", .failure(let detail)) where refusedOnPurpose && !detail.hasPrefix("other: "):
                    break
                case ("changed", .output(let values)) where !refusedOnPurpose:
                    guard let theirs = expected.output else {
                        problem = "no output stored for a changed entry"
                        break
                    }
                    if values == original {
                        problem = "runs to the unedited output"
                    } else if values.count != theirs.count {
                        problem = "\(values.count) outputs, transformers \(theirs.count)"
                    } else if let delta = zip(values, theirs).map({ abs($0 - $1) }).max(), delta > Self.tolerance {
                        problem = "|Δ| \(delta) from transformers' output"
                    }
                case (_, .output(let values)):
                    problem = values == original ? "loads, to the unedited output" : "loads, to another output"
                case (_, .failure(let detail)):
                    problem = "refused: \(detail)"
                }
                if let problem {
                    mismatches["\(name) \(field)"] = "transformers \(expected.outcome) \(expected.stage ?? ""); Glassbox \(problem)"
                }
            }
        }
        let found = Set(mismatches.keys)
        for entry in found.subtracting(Self.knownGaps).sorted() { XCTFail("new mismatch: \(entry): \(mismatches[entry]!)") }
        for entry in Self.knownGaps.subtracting(found).sorted() { XCTFail("known gap now matches (remove it from knownGaps): \(entry)") }
        XCTAssertEqual(counts, ["refused": 1201, "same": 557, "changed": 28])   // ELECTRA: +37, +14, +3; MPT: +16, +20, +2; ModernBERT: +31, +9, +1; CodeGen: +26, +1, +0; modernbert-cls: +16, +4, +1; token ids: +6 (RoBERTa / XLM-R / CamemBERT pad_token_id), +204; PhiMoE: +26, +10; modernbert-mean: +16, +9, +1; ALBERT: +44, +13, +3
        XCTAssertEqual(nested, 39)          // gemma3-mm: text_config and vision_config members (29, its text_config token ids among them); mpt-tiny 4, mpt-bias 6 in attn_config
    }
}
