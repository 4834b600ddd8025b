import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox project --neuron`, `neurons` (value tokens, dominant sub-updates) and the corpus scan on
/// the Mixtral fixture (5 experts × 20 neurons, top-2; docs/methods.md §6.1): neurons numbered
/// expert-major `e·dff + i`, shown as "expert e, neuron i", with keys, values and sub-update scores
/// equal to the float64 numpy reference of scripts/fixtures/generate_lens.py (Tests/Fixtures/lens).
final class MixtureMemoriesCommandTests: XCTestCase {
    static let name = "mixtral-moe"
    private var out: URL!

    override func setUp() {
        out = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-moe-\(UUID().uuidString).png")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: out) }

    private func json(_ arguments: [String]) throws -> [String: Any] {
        try runGlassboxJSON(arguments, model: Self.name, out: out)
    }

    private func reference(_ file: String) throws -> SafetensorsFile {
        try SafetensorsFile(url: Fixtures.root.appendingPathComponent("Tests/Fixtures/lens/\(Self.name)/\(file).safetensors"))
    }

    /// `project --what ffn-key|ffn-value --neuron e·20 + i`: expert e's w1 row / w2 column in the
    /// vocabulary, top scores and ids equal to the reference (≤ 1e-4).
    func testProjectNeuronMatchesTheReference() throws {
        let params = try reference("params")
        for (what, layer, prefix) in [("ffn-key", 0, "key_top"), ("ffn-value", 1, "value_top")] {
            let ids = try params.tensor("\(prefix)_ids"), scores = try params.tensor("\(prefix)_scores")
            XCTAssertEqual(ids.shape[0], 100)
            for neuron in [0, 47, 99] {
                let object = try json(["project", "--what", what, "--layer", "\(layer)", "--neuron", "\(neuron)", "--top-k", "5"])
                assertFiniteJSON(object, "\(what) \(neuron)")
                XCTAssertEqual(object["expert"] as? Int, neuron / 20)
                XCTAssertEqual(object["expertNeuron"] as? Int, neuron % 20)
                let top = try XCTUnwrap((object["projections"] as? [[String: Any]])?.first?["top"] as? [[String: Any]])
                XCTAssertEqual(top.count, 5)
                for (r, entry) in top.enumerated() {
                    XCTAssertEqual((entry["score"] as? NSNumber)?.floatValue ?? .nan, scores[neuron, r], accuracy: 1e-4, "\(what) \(neuron) rank \(r)")
                    XCTAssertEqual(entry["id"] as? Int, Int(ids[neuron, r]), "\(what) \(neuron) rank \(r)")
                }
            }
        }
        let text = try runGlassbox(["project", "--model", "Tests/Fixtures/models/\(Self.name)", "--what", "ffn-key", "--layer", "0", "--neuron", "47",
                                    "--top-k", "3", "--out", out.path])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("Layer 0, expert 2, neuron 7: ffn-key"), text.stdout)
        let outside = try runGlassbox(["neurons", "--model", "Tests/Fixtures/models/\(Self.name)", "--layer", "0", "--neuron", "100"])
        XCTAssertEqual(outside.status, 1, outside.stderr)
        XCTAssertTrue(outside.stderr.contains("5 experts × 20 neurons"), outside.stderr)
        XCTAssertEqual(outside.stderr.split(separator: "\n").count, 1, outside.stderr)
    }

    /// `neurons --ids` (the golden "short" input): the dominant sub-updates at the last position,
    /// `|m|·‖v‖` with `m` = expert hook_post × routing weight, equal to the reference's top 5 (≤ 1e-4).
    func testSubUpdatesMatchTheReference() throws {
        let golden = try Fixtures.golden(Self.name, "short")
        let expected = try reference("short").tensor("subupdate_scores")               // [L, E·dff]
        XCTAssertEqual(expected.shape, [2, 100])
        let ids = golden.inputIDs.map(String.init).joined(separator: ",")
        for layer in 0..<2 {
            let object = try json(["neurons", "--ids", ids, "--layer", "\(layer)", "--top-k", "5"])
            assertFiniteJSON(object, "layer \(layer)")
            let updates = try XCTUnwrap((object["subUpdates"] as? [String: Any])?["updates"] as? [[String: Any]])
            let row = expected.row(layer).storage
            let order = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
            XCTAssertEqual(updates.count, 5)
            for (u, j) in zip(updates, order) {
                XCTAssertEqual((u["score"] as? NSNumber)?.floatValue ?? .nan, row[j], accuracy: 1e-4, "layer \(layer)")
                let neuron = try XCTUnwrap(u["neuron"] as? Int)
                XCTAssertEqual(neuron, j, "layer \(layer)")
                XCTAssertEqual(u["expert"] as? Int, neuron / 20)
                XCTAssertEqual(u["expertNeuron"] as? Int, neuron % 20)
            }
        }
        let text = try runGlassbox(["neurons", "--model", "Tests/Fixtures/models/\(Self.name)", "--ids", ids, "--layer", "1",
                                    "--top-k", "3", "--out", out.path])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("  expert "), text.stdout)
    }

    /// `neurons --corpus`: trigger examples ranked by the routed coefficient, equal to the library's
    /// scan of the same tokenized paragraphs (itself checked against a brute force in
    /// MemoriesScanTests), finite, and labelled with the expert.
    func testCorpusScanMatchesTheLibrary() throws {
        let paragraphs = ["the.cat,dog!house", "a;b:c-d'e?f.g", "!!..,,??", "x.y.z,w!v"]
        let corpus = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-moe-corpus-\(UUID().uuidString).txt")
        try paragraphs.joined(separator: "\n\n").write(to: corpus, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: corpus) }
        let neuron = 61
        let object = try json(["neurons", "--layer", "1", "--neuron", "\(neuron)", "--corpus", corpus.path, "--top-k", "3"])
        assertFiniteJSON(object, "scan")
        XCTAssertEqual(object["triggerActivation"] as? String, "mlp.experts.E.hook_post × routing weight")
        let triggers = try XCTUnwrap(object["triggers"] as? [[String: Any]])
        XCTAssertEqual(triggers.first?["expert"] as? Int, 3)
        XCTAssertEqual(triggers.first?["expertNeuron"] as? Int, 1)
        let examples = try XCTUnwrap(triggers.first?["examples"] as? [[String: Any]])

        let model = try TransformerModel.load(directory: Fixtures.model(Self.name))
        let tokenizer = try Tokenizer.load(directory: Fixtures.model(Self.name))
        let sequences = try paragraphs.map { try tokenizer.encode($0).ids }
        XCTAssertTrue(sequences.allSatisfy { $0.count > 1 })
        let library = try FFNMemories.scanTriggers(model, sequences: sequences, options: .init(layers: [1], examplesPerNeuron: 3))
        let expected = library.layers[0].neurons[neuron]
        XCTAssertEqual(examples.count, expected.count)
        XCTAssertTrue(expected.contains { $0.activation != 0 }, "the expert is chosen somewhere in the corpus")
        for (got, want) in zip(examples, expected) {
            XCTAssertEqual((got["activation"] as? NSNumber)?.floatValue ?? .nan, want.activation, accuracy: 1e-6)
            XCTAssertEqual(got["position"] as? Int, want.position)
        }
    }
}
