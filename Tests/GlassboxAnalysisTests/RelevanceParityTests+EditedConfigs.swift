import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// Relevance references on a fixture with an edited config.json (scripts/fixtures/generate_lrp.py's
/// `EDITED`, written to Tests/Fixtures/relevance-edited/<name>/ with metadata `fixture` and
/// `config_edits`): the fixture's weights and golden inputs, the config edited the same way here,
/// compared as `testFixtureModelsMatchLXT` compares (max|ΔR|/max|R| ≤ 1e-3, Pearson ≥ 0.9999).
extension RelevanceParityTests {
    static let editedFolder = Fixtures.root.appendingPathComponent("Tests/Fixtures/relevance-edited")
    /// Every edited case generate_lrp.py writes, sorted: Gemma 3 with `final_logit_softcapping` 20
    /// (LXT's Gemma 3 map leaves the cap's tanh unpatched: its gradient, docs/methods.md §2.5e) and
    /// with `attn_logit_softcapping` 2 (which transformers 4.53.3's Gemma 3 attention never applies).
    static let editedCases = ["gemma3-text~attncap", "gemma3-text~finalcap"]

    func testEditedConfigsMatchLXT() throws {
        let present = try FileManager.default.contentsOfDirectory(atPath: Self.editedFolder.path).sorted()
        XCTAssertEqual(present, Self.editedCases, "regenerate with scripts/fixtures/generate_lrp.py --only \(Self.editedCases.joined(separator: " "))")
        for name in Self.editedCases {
            let references = Self.editedFolder.appendingPathComponent(name)
            let first = try XCTUnwrap(try Self.referenceCases(in: references).first, "\(name): no reference cases")
            let metadata = try SafetensorsFile(url: references.appendingPathComponent(first)).metadata
            let fixture = try XCTUnwrap(metadata["fixture"], "\(name): no metadata 'fixture'")
            let edits = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(metadata["config_edits"]).utf8))
                                      as? [String: Any], "\(name): metadata 'config_edits' is not a JSON object")
            let folder = try Fixtures.folder(config: try Fixtures.editedConfigText(fixture, edits), weights: Fixtures.weights(fixture),
                                             test: self, label: name)
            let arch = try TransformerModel.load(directory: folder).architecture
            switch name {
            case "gemma3-text~finalcap":
                XCTAssertEqual(arch.finalSoftCap, 20)
                XCTAssertEqual(arch.finalSoftCapRelevance, .gradient)
            default:
                XCTAssertNil(arch.attentionSoftCap, "\(name): Gemma 3 applies no attention soft-cap")
            }
            print(try checkModel(name, folder: folder, references: references, inputsOf: fixture).joined(separator: "\n"))
        }
    }
}
