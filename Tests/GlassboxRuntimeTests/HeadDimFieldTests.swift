import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `head_dim: null`, `head_dim: 0` and `head_dim` 2 · d / H load as transformers 4.53.3 reads them, in every fixture
/// family, whether or not the fixture's config holds the key: refused where transformers fails (one
/// `LoadError.invalidConfig` naming `head_dim`; any refusal where transformers refuses the weights'
/// shapes), exactly the unedited output where transformers' run gives exactly its unedited output,
/// and transformers' other output within 1e-4 where it runs to one (GPT-NeoX's rotary tables sized
/// by the key: `testGPTNeoXRotaryTablesAreSizedByTheKey`).
/// Families differ: Llama's config maps null to d / H but its attention divides by 0; Qwen2, OLMo,
/// OLMo 2, Phi, Phi-3, Cohere, Gemma and Granite read the key as written (null: TypeError);
/// Mistral, Mixtral and StarCoder2 read `head_dim or d // H` (null and 0 are d / H); OLMoE,
/// StableLM and the families without the key never read it.
/// The reference is Tests/Fixtures/config-head-dim/fields.json, written by
/// scripts/fixtures/generate_head_dim_fields.py (the checkpoint loaded with `from_pretrained` and
/// run once on ids 1, 2, 3, as NullFieldTests' reference). Before, the fields without the key in
/// their config loaded `null` as d / H in OLMo, OLMo 2, Qwen2 and Phi-3, where transformers raises,
/// refused 0 in Mistral, Mixtral, StarCoder2, OLMoE and StableLM, where transformers runs, and
/// GPT-NeoX ignored the key, which transformers' rotary tables read.
final class HeadDimFieldTests: XCTestCase {
    private struct Reference: Decodable {
        struct Model: Decodable {
            struct Value: Decodable {
                let value: Int?
                let outcome: String
                let stage: String?
                let weights_mismatch: Bool
                let output: [Float]?
            }
            let model_type: String
            let values: [String: Value]
        }
        let models: [String: Model]
    }

    /// Entries (`model value`) where Glassbox does not do what transformers does, listed so that a
    /// change fails this test (docs/correctness.md).
    /// None: neox-rope-yarn 0 (YaRN's table read from the written 0 is empty, int(0 · 0.5) = 0, and
    /// transformers' GPT-NeoX rotates nothing) was one until Glassbox built it with no position
    /// embedding too.
    static let knownGaps: Set<String> = []

    /// Entries both refuse where Glassbox names `rope_scaling` instead: the longrope factors are
    /// sized for the written width (Llama's derived d / H for null, Phi-3's 2 · d / H), and
    /// transformers fails on the same mismatch (NullFieldTests' `llama-longrope head_dim` likewise).
    private static let refusedByRopeScaling: Set<String> = ["llama-longrope null", "phi3-longrope double"]

    private enum Run: Equatable { case output([Float]), headDimRefused(String), otherFailure(String) }

    /// `text` with the top-level `head_dim` written as `value`, added after the opening brace when absent.
    private static func writingHeadDim(_ value: String, in text: String) -> String {
        let pattern = try! NSRegularExpression(pattern: #"\n  "head_dim"\s*:\s*(null|-?[0-9]+)"#)
        if let match = pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
           let range = Range(match.range(at: 1), in: text) {
            return text.replacingCharacters(in: range, with: value)
        }
        let brace = text.firstIndex(of: "{")!
        return text.replacingCharacters(in: brace...brace, with: "{\n  \"head_dim\": \(value),")
    }

    private func run(_ name: String, headDim value: String) throws -> Run {
        let folder = try Fixtures.linkedCopy(of: name, test: self, replacing: "config.json") { data in
            Data(Self.writingHeadDim(value, in: String(decoding: data, as: UTF8.self)).utf8)
        }
        do {
            return .output(try fixtureOutput(TransformerModel.load(directory: folder)))
        } catch let error as LoadError {
            if case .invalidConfig(_, let key, let detail) = error, key == "head_dim" { return .headDimRefused(detail) }
            return .otherFailure(error.localizedDescription)
        } catch {
            return .otherFailure(error.localizedDescription)
        }
    }

    func testHeadDimNullAndZeroLoadAsTransformersReadsThem() throws {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/config-head-dim/fields.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        let composite: Set<String> = ["gemma3-mm"]
        XCTAssertEqual(Set(reference.models.keys), Set(try ConfigFieldText.fixtureCheckpoints()).subtracting(composite),
                       "one entry per non-composite fixture model")
        var counts: [String: Int] = [:], mismatches: [String: String] = [:]
        for (name, model) in reference.models.sorted(by: { $0.key < $1.key }) {
            let original = try fixtureOutput(TransformerModel.load(directory: Fixtures.model(name)))
            for (value, expected) in model.values.sorted(by: { $0.key < $1.key }) {
                counts[expected.outcome, default: 0] += 1
                let run = try run(name, headDim: expected.value.map(String.init) ?? "null")
                var problem: String?
                switch (expected.outcome, run) {
                case ("refused", .headDimRefused): break
                case ("refused", .otherFailure) where expected.weights_mismatch: break
                case ("refused", .otherFailure(let detail))
                    where Self.refusedByRopeScaling.contains("\(name) \(value)") && detail.contains("'rope_scaling."): break
                case ("same", .output(let values)) where values == original: break
                case ("changed", .output(let values)) where Self.agree(values, expected.output): break
                case (_, .output(let values)): problem = values == original ? "loads, to the unedited output" : "loads, to another output"
                case (_, .headDimRefused(let detail)): problem = "refused: \(detail)"
                case (_, .otherFailure(let detail)): problem = "refused, not naming head_dim: \(detail)"
                }
                if let problem {
                    mismatches["\(name) \(value)"] = "transformers \(expected.outcome) \(expected.stage ?? ""); Glassbox \(problem)"
                }
            }
        }
        let found = Set(mismatches.keys)
        for entry in found.subtracting(Self.knownGaps).sorted() { XCTFail("mismatch: \(entry): \(mismatches[entry]!)") }
        for entry in Self.knownGaps.subtracting(found).sorted() { XCTFail("known gap now matches (remove it from knownGaps): \(entry)") }
        XCTAssertEqual(counts, ["refused": 136, "same": 176, "changed": 3])   // ELECTRA: +9 same (head_dim unread); MPT, ModernBERT and CodeGen: +6 same each (head_dim unread); modernbert-cls, modernbert-mean: +3 each; PhiMoE: +4 refused, +2 same; ALBERT: +9 same (unread)
    }

    /// Whether `values` are transformers' `reference` output within 1e-4.
    private static func agree(_ values: [Float], _ reference: [Float]?) -> Bool {
        guard let reference, reference.count == values.count else { return false }
        return zip(values, reference).allSatisfy { abs($0 - $1) <= 1e-4 }
    }

    /// GPT-NeoX's attention sizes its heads by d / H, transformers' rotary tables by
    /// `dim = int(head_dim · rotary_pct)` with the key when written (apply_rotary_pos_emb rotates the
    /// first `2 · ceil(dim / 2)` lanes): the `neox` section of fields.json
    /// (generate_head_dim_fields.neox_cases, neox-parallel with d / H = 10) writes both keys. 9 at
    /// 0.25 rotates int(2.25) = 2 lanes as d / H does and 16 at 0.25 four lanes of a 4-wide table:
    /// Glassbox runs both to transformers' output within 1e-4 (before, both were refused:
    /// `requireRotaryOnlyHeadDim` took any width but d / H for a wrong model; this test failed on
    /// that code, tried). 30 at 0.4 rotates 12 lanes of 10-wide heads, where transformers' forward
    /// fails: refused naming `head_dim`. 12 at 0.25 gives an odd dim 3: four lanes with a 3-wide
    /// table's frequencies (`RotaryEmbedding.oddWidth`), also within 1e-4.
    func testGPTNeoXRotaryTablesAreSizedByTheKey() throws {
        struct Case: Decodable { let model: String; let rotary_pct: Double; let head_dim: Int; let outcome: String; let output: [Float]? }
        struct NeoX: Decodable { let neox: [String: Case] }
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/config-head-dim/fields.json")
        let reference = try JSONDecoder().decode(NeoX.self, from: Data(contentsOf: url)).neox
        XCTAssertEqual(reference.count, 4)
        var outcomes: [String: Int] = [:]
        for (key, expected) in reference.sorted(by: { $0.key < $1.key }) {
            outcomes[expected.outcome, default: 0] += 1
            let folder = try Fixtures.linkedCopy(of: expected.model, test: self, replacing: "config.json") { data in
                var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
                config["rotary_pct"] = expected.rotary_pct
                config["head_dim"] = expected.head_dim
                return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
            }
            if expected.outcome == "loads" {
                let output = try fixtureOutput(TransformerModel.load(directory: folder))
                let reference = try XCTUnwrap(expected.output, key)
                XCTAssertEqual(output.count, reference.count, key)
                XCTAssertTrue(Self.agree(output, reference), "\(key): max |Δ| \(zip(output, reference).map { abs($0 - $1) }.max() ?? .nan)")
                continue
            }
            XCTAssertThrowsError(try TransformerModel.load(directory: folder), key) { error in
                guard case LoadError.invalidConfig(_, let field, _)? = error as? LoadError else { return XCTFail("\(key): \(error)") }
                XCTAssertEqual(field, "head_dim", key)
            }
        }
        XCTAssertEqual(outcomes, ["loads": 3, "refused": 1])
    }

    /// GLM with an odd `dim = int(head_dim · partial_rotary_factor)`: GlmRotaryEmbedding's table is
    /// `2 · ceil(dim / 2)` wide (`ceil(dim / 2)` frequencies `base^(−2i / dim)`, each repeated for an
    /// interleaved pair) and apply_rotary_pos_emb rotates that many lanes, passing the rest through.
    /// The `glm` section of fields.json (generate_head_dim_fields.glm_cases): glm-tiny (head_dim 8)
    /// at 0.375 (dim 3) and 0.625 (dim 5), glm4-tiny (head_dim 16, linear factor 2) at 0.3125
    /// (dim 5), each run by Glassbox to transformers' output within 1e-4 (before, all three were
    /// refused, "an even number of rotated dimensions": this test failed on that code, tried).
    func testGlmOddRotaryWidth() throws {
        struct Case: Decodable { let model: String; let partial_rotary_factor: Double; let outcome: String; let output: [Float]? }
        struct Glm: Decodable { let glm: [String: Case] }
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/config-head-dim/fields.json")
        let reference = try JSONDecoder().decode(Glm.self, from: Data(contentsOf: url)).glm
        XCTAssertEqual(reference.keys.sorted(), ["glm-tiny 0.375", "glm-tiny 0.625", "glm4-tiny 0.3125"])
        for (key, expected) in reference.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(expected.outcome, "loads", key)
            let folder = try Fixtures.linkedCopy(of: expected.model, test: self, replacing: "config.json") { data in
                var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
                config["partial_rotary_factor"] = expected.partial_rotary_factor
                return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
            }
            let model = try TransformerModel.load(directory: folder)
            guard case .rotary(let rope) = model.architecture.position else { return XCTFail("\(key): not rotary") }
            let dim = Int(Double(model.architecture.headDim) * expected.partial_rotary_factor)
            XCTAssertEqual(dim % 2, 1, key)
            XCTAssertEqual(rope.dimensions, dim + 1, key)
            let output = try fixtureOutput(model), reference = try XCTUnwrap(expected.output, key)
            XCTAssertTrue(Self.agree(output, reference), "\(key): max |Δ| \(zip(output, reference).map { abs($0 - $1) }.max() ?? .nan)")
            print(String(format: "%@: max |Δ| %.1e", key, Double(zip(output, reference).map { abs($0 - $1) }.max() ?? .nan)))
        }
    }

    /// Where a family reads `head_dim or d // H`, transformers' dynamic-NTK, YaRN and LongRoPE tables
    /// still read the key as written (`_compute_yarn_parameters`: `getattr(config, "head_dim",
    /// d // H)`): under YaRN, `null` is a TypeError and 0 leaves the tables empty (the forward's
    /// shapes differ); Mistral's config holds None when the key is absent. The reference is the
    /// `yarn` section of fields.json (generate_head_dim_fields.yarn_cases: five families, the key
    /// null, 0, absent and d / H under YaRN factor 2); Glassbox refuses, naming `head_dim`, where
    /// transformers fails, and loads where it runs. Before, all of these loaded with d / H.
    func testHeadDimUnderYarnAsTransformersReadsIt() throws {
        struct Case: Decodable { let outcome: String }
        struct Yarn: Decodable { let yarn: [String: [String: Case]] }
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/config-head-dim/fields.json")
        let reference = try JSONDecoder().decode(Yarn.self, from: Data(contentsOf: url)).yarn
        XCTAssertEqual(reference.keys.sorted(), ["granitemoe-tiny", "mistral-swa", "olmoe-tiny", "stablelm-tiny", "starcoder2-tiny"])
        /// `text` with YaRN factor 2 as its rope_scaling and `head_dim` written as `value` (nil: absent).
        func yarn(_ text: String, headDim value: String?) -> String {
            var text = text.replacingOccurrences(of: #""rope_scaling": null,"#, with: "")
                .replacingOccurrences(of: #"\n *"head_dim": [^,\n]*,"#, with: "", options: .regularExpression)
            if let value { text = Self.writingHeadDim(value, in: text) }
            let brace = text.firstIndex(of: "{")!
            return text.replacingCharacters(in: brace...brace, with:
                #"{ "rope_scaling": {"rope_type": "yarn", "type": "yarn", "factor": 2.0},"#)
        }
        var outcomes: [String: Int] = [:]
        for (name, cases) in reference.sorted(by: { $0.key < $1.key }) {
            let width = try TransformerModel.load(directory: Fixtures.model(name)).architecture.headDim
            XCTAssertEqual(cases.keys.sorted(), ["0", "absent", "null", "width"], name)
            for (variant, expected) in cases.sorted(by: { $0.key < $1.key }) {
                outcomes[expected.outcome, default: 0] += 1
                let value: String? = switch variant { case "absent": nil; case "width": String(width); default: variant }
                let folder = try Fixtures.linkedCopy(of: name, test: self, replacing: "config.json") { data in
                    Data(yarn(String(decoding: data, as: UTF8.self), headDim: value).utf8)
                }
                if expected.outcome == "loads" {
                    XCTAssertNoThrow(try TransformerModel.load(directory: folder), "\(name) head_dim \(variant)")
                    continue
                }
                XCTAssertThrowsError(try TransformerModel.load(directory: folder), "\(name) head_dim \(variant)") { error in
                    guard case LoadError.invalidConfig(_, let key, let message)? = error as? LoadError else {
                        return XCTFail("\(name) \(variant): \(error)")
                    }
                    XCTAssertEqual(key, "head_dim", "\(name) \(variant)")
                    let start = ["absent": "is not set", "null": "is null", "0": "is 0"][variant] ?? "?"
                    XCTAssertTrue(message.hasPrefix(start) && message.contains("yarn rotary tables read"), "\(name) \(variant): \(message)")
                }
            }
        }
        XCTAssertEqual(outcomes, ["refused": 11, "loads": 9])
    }
}
