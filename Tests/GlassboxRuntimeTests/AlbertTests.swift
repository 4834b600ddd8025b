import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// ALBERT (`model_type` `albert`): every hook point of albert-mlm, albert-cls and albert-bare against
/// transformers 4.53.3 is GoldenTests' (1e-4), the parameter count ParameterCountTests'. Here: the
/// shared layers (one storage per stored layer, applied in transformers' group order), the
/// factorised embeddings, the heads, and the configs transformers fails on, refused naming the key.
final class AlbertTests: XCTestCase {

    /// albert-mlm: 4 applications of 2 groups of 2 layers → groups 0, 0, 1, 1, eight Glassbox layers
    /// over four stored ones; albert-bare: 3 applications of 2 groups, int(i / 1.5) → 0, 0, 1.
    func testSharedLayersFollowTransformersGroupOrder() throws {
        for (name, stored) in [("albert-mlm", [0, 1, 0, 1, 2, 3, 2, 3]), ("albert-cls", [0, 0, 0]), ("albert-bare", [0, 0, 1])] {
            let m = try Fixtures.load(name)
            XCTAssertEqual(m.architecture.layers, stored.count, name)
            for i in stored.indices {
                for j in stored.indices {
                    let shared = m.weights.blocks[i].attention.query.weight.sharesStorage(with: m.weights.blocks[j].attention.query.weight)
                    XCTAssertEqual(shared, stored[i] == stored[j], "\(name) layers \(i), \(j)")
                }
            }
        }
    }

    /// Tables `E` wide, the LayerNorm at `E`, `embedding_hidden_mapping_in` `E → d`; the MLM head
    /// maps `d → E` and decodes with the tied `[V, E]` table; the classifier reads the tanh pooler.
    func testFactorisedEmbeddingsAndHeads() throws {
        let mlm = try Fixtures.load("albert-mlm"), cls = try Fixtures.load("albert-cls"), bare = try Fixtures.load("albert-bare")
        XCTAssertEqual(mlm.weights.embeddings.token.shape, [140, 16])
        XCTAssertEqual(mlm.weights.embeddings.norm?.weight.count, 16)
        let projection = try XCTUnwrap(mlm.weights.embeddings.projection)
        XCTAssertEqual([projection.inFeatures, projection.outFeatures], [16, 30])
        XCTAssertEqual(mlm.architecture.head, .maskedLanguageModel)
        XCTAssertEqual(mlm.architecture.activation, .geluTanh)                 // gelu_new
        XCTAssertEqual(mlm.weights.head.transform.map { [$0.inFeatures, $0.outFeatures] }, [30, 16])
        XCTAssertTrue(try XCTUnwrap(mlm.weights.head.unembed).weight.sharesStorage(with: mlm.weights.embeddings.token))
        XCTAssertNil(mlm.weights.head.pooler)
        XCTAssertEqual(cls.architecture.head, .sequenceClassification(labels: ["negative", "neutral", "positive"]))
        XCTAssertEqual(cls.weights.head.poolerActivation, .tanh)
        XCTAssertEqual(bare.architecture.head, HeadKind.none)
        XCTAssertNotNil(bare.weights.head.pooler)
    }

    /// Configs transformers cannot run are refused naming the key: more inner layers than the
    /// head-mask entries a group gets (int(3 / 2) = 1 < 2: AlbertLayerGroup's IndexError, seen when
    /// the fixtures were first drawn with these counts), a hostile application count, relative
    /// positions, heads not dividing hidden_size (AlbertAttention's dense then fails), no groups, and
    /// more groups than the checkpoint stores.
    func testConfigsTransformersFailsOnAreRefused() throws {
        for (edits, key, fragment) in [
            (["num_hidden_layers": 3], "inner_group_num", "more than the 1 head-mask entries transformers gives layer group 0"),
            (["num_hidden_layers": 2_000_000_000], "num_hidden_layers", "shared-layer applications"),
            (["position_embedding_type": "relative_key"], "position_embedding_type", "'relative_key' is not supported"),
            (["num_attention_heads": 4], "num_attention_heads", "must divide hidden_size (30)"),
            (["num_hidden_groups": 0], "num_hidden_groups", "must be positive"),
            (["num_hidden_groups": 4, "num_hidden_layers": 8], "num_hidden_groups", "the checkpoint holds 2 layer(s)"),
        ] as [([String: Any], String, String)] {
            let folder = try Fixtures.linkedCopy(of: "albert-mlm", test: self, replacing: "config.json") { data in
                var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
                config.merge(edits) { $1 }
                return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
            }
            XCTAssertThrowsError(try TransformerModel.load(directory: folder), key) { error in
                guard case LoadError.invalidConfig(_, let got, let detail) = error else { return XCTFail("\(key): \(error)") }
                XCTAssertEqual(got, key)
                XCTAssertTrue(detail.contains(fragment), detail)
            }
        }
    }

    /// `AlbertForPreTraining` runs its first output, the masked-LM head; `AlbertModel` the bare encoder
    /// (the head's weights ignored, as transformers ignores unexpected keys); the heads Glassbox does
    /// not run are refused by class name.
    func testArchitecturesChooseTheHead() throws {
        for (architecture, head) in [("AlbertForPreTraining", HeadKind.maskedLanguageModel), ("AlbertModel", .none)] {
            let folder = try Fixtures.linkedCopy(of: "albert-mlm", test: self, replacing: "config.json") { data in
                var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
                config["architectures"] = [architecture]
                return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
            }
            XCTAssertEqual(try TransformerModel.load(directory: folder).architecture.head, head)
        }
        let folder = try Fixtures.linkedCopy(of: "albert-cls", test: self, replacing: "config.json") { data in
            var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            config["architectures"] = ["AlbertForTokenClassification"]
            return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
            guard case LoadError.unsupportedHead(_, let className, let supported) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(className, "AlbertForTokenClassification")
            XCTAssertEqual(supported, ["AlbertForMaskedLM", "AlbertForPreTraining", "AlbertForSequenceClassification", "AlbertModel"])
        }
    }
}
