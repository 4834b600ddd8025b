import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// An integer config field respelled as a float (`"hidden_size": 32.0`) is refused exactly where
/// transformers 4.53.3 refuses it, and loads with the same numbers where transformers loads it.
/// The reference is Tests/Fixtures/config-integers/fields.json, written by
/// scripts/fixtures/generate_integer_fields.py (transformers' AutoConfig, from_config and one
/// forward on a copy of each fixture model with one field respelled; an accepted float gives
/// transformers exactly the unedited output). A composite checkpoint's sub-config fields are named
/// `text_config.KEY` and `vision_config.KEY`, as the loader's messages name them. Before, only the
/// layer and expert counts were refused; `hidden_size: 32.0`, `vocab_size: 96.0`, … loaded.
final class IntegerFieldTests: XCTestCase {
    private struct Reference: Decodable {
        struct Model: Decodable {
            struct Field: Decodable { let outcome: String; let stage: String?; let error: String }
            let model_type: String
            let fields: [String: Field]
        }
        let models: [String: Model]
    }

    private func reference() throws -> Reference {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/config-integers/fields.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// A run's output, for comparing two loads (``fixtureOutput(_:)``).
    private func output(_ model: TransformerModel) throws -> [Float] { try fixtureOutput(model) }

    func testEveryIntegerFieldAsAFloatIsRefusedOrLoadedAsTransformersDoes() throws {
        let reference = try reference()
        XCTAssertEqual(reference.models.keys.sorted(), try ConfigFieldText.fixtureCheckpoints(), "one entry per fixture model")
        XCTAssertEqual(reference.models.count, 106)
        var checked = 0, nested = 0
        for (name, model) in reference.models.sorted(by: { $0.key < $1.key }) {
            let original = try output(TransformerModel.load(directory: Fixtures.model(name)))
            XCTAssertFalse(model.fields.isEmpty, name)
            for (field, expected) in model.fields.sorted(by: { $0.key < $1.key }) {
                var written = ""
                let folder = try Fixtures.linkedCopy(of: name, test: self, replacing: "config.json") { data in
                    let (text, value) = try ConfigFieldText.respell(String(decoding: data, as: UTF8.self), field: field,
                                                                    value: "-?[0-9]+(?![0-9.eE])", as: { $0 + ".0" })
                    written = value + ".0"
                    return Data(text.utf8)
                }
                if field.contains(".") { nested += 1 }
                let label = "\(name) \(field): \(written) (transformers: \(expected.outcome) \(expected.stage ?? ""))"
                switch expected.outcome {
                case "refused":
                    XCTAssertThrowsError(try TransformerModel.load(directory: folder), label) { error in
                        XCTAssertTrue(error.localizedDescription.hasSuffix(
                            "config.json: '\(field)' should be an integer, got \(written) (transformers refuses a float here too: write it without a fraction or exponent)"),
                                      "\(label): \(error.localizedDescription)")
                    }
                case "accepted":
                    XCTAssertEqual(try output(TransformerModel.load(directory: folder)), original, label)   // a throw fails it too
                default:
                    XCTFail("\(label): unknown outcome")
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 912)   // ELECTRA: +27; MPT: +18; ModernBERT: +22; CodeGen: +15; modernbert-cls: +11; PhiMoE: +20; modernbert-mean: +11; ALBERT: +39
        XCTAssertEqual(nested, 22)          // gemma3-mm: 11 in text_config, 7 in vision_config; mpt: 2 each in attn_config
    }
}
