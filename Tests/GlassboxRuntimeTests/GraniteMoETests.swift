import Foundation
import Glassbox
import GlassboxModelIO
@testable import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// GraniteMoE (`model_type` "granitemoe") and GraniteMoeShared ("granitemoeshared"): every hook point
/// of granitemoe-tiny (5 experts top-2, GQA 4:2, tied, every multiplier ≠ 1) and granitemoe-shared
/// (4 experts top-3 plus an ungated shared MLP, attention_bias, 3 heads on one key/value head, linear
/// rope_scaling, gelu, untied) against transformers 4.53.3's GraniteMoeForCausalLM /
/// GraniteMoeSharedForCausalLM (goldens from scripts/fixtures/hf_hooks_granitemoe.py, 1e-4 as
/// GoldenTests); the stacked experts read as views, the routing (softmax over the top-k logits) equal
/// to the engine's renormalised top-k, the multipliers where Glassbox folds them, num_parameters(),
/// and typed config and weight errors.
final class GraniteMoETests: XCTestCase {
    private static let names = ["granitemoe-tiny", "granitemoe-shared"]

    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "granitemoe-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "granitemoe")
    }

    /// `name`'s config.json with `key` set to `value` (JSON text, `null` included), added when absent.
    private func edited(_ name: String, _ key: String, _ value: String) throws -> String {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try Fixtures.configText(name).utf8)) as? [String: Any])
        object[key] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Every hook of every case within 1e-4 of transformers.
    func testEveryHookMatchesTransformers() throws {
        for name in Self.names { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// The architecture and the folded multipliers: attention_multiplier the score scale,
    /// embedding_multiplier the embedding's scale, residual_multiplier in o_proj and every expert's
    /// (and the shared MLP's) output map, 1/logits_scaling in the head; routing renormalised; the
    /// shared expert only in granitemoeshared, without a gate point; num_parameters().
    func testArchitectureMultipliersAndHookPoints() throws {
        let tiny = try Fixtures.load("granitemoe-tiny"), shared = try Fixtures.load("granitemoe-shared")
        XCTAssertEqual(tiny.architecture.attentionScale, 0.3)
        XCTAssertEqual(shared.architecture.attentionScale, 0.2)
        XCTAssertEqual(tiny.weights.embeddings.scale, 2.5)
        XCTAssertEqual(shared.weights.embeddings.scale, 0.5)
        var routing = ExpertRouting(count: 5, topK: 2)
        routing.sharedExpertGated = false
        XCTAssertEqual(tiny.architecture.experts, routing)
        XCTAssertEqual(shared.architecture.experts?.sharedExpert, true)
        XCTAssertEqual([shared.architecture.heads, shared.architecture.kvHeads, shared.architecture.headDim], [3, 1, 8])
        XCTAssertNotNil(shared.weights.blocks[0].attention.output.bias)
        XCTAssertNil(tiny.weights.blocks[0].attention.query.bias)
        let mixture = try XCTUnwrap(shared.weights.blocks[0].mlp.mixture)
        XCTAssertEqual(mixture.experts.count, 4)
        XCTAssertEqual(mixture.shared?.mlp.output.inFeatures, 20)
        XCTAssertNil(mixture.shared?.gate)
        XCTAssertTrue(tiny.weights.blocks.allSatisfy { $0.mlp.mixture?.shared == nil })
        let names = shared.hookPoints.map(\.name)
        XCTAssertTrue(names.contains("blocks.0.mlp.shared_expert.hook_post"))
        XCTAssertFalse(names.contains { $0.contains("shared_expert_gate") })
        XCTAssertFalse(tiny.hookPoints.map(\.name).contains { $0.contains("shared_expert") })
        guard case .rotary(let rope) = shared.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.scaling, .linear(factor: 2))
        // GraniteMoeForCausalLM / GraniteMoeSharedForCausalLM.num_parameters() (the tied table once).
        XCTAssertEqual(tiny.weights.parameterCount, 25600)
        XCTAssertEqual(shared.weights.parameterCount, 25176)
        for (m, name) in [(tiny, "granitemoe-tiny"), (shared, "granitemoe-shared")] {
            let r = try m.forward([1, 9, 40, 7, 23, 5], capture: .all)
            assertBlockOutputsAddBothBranches(r, layers: m.architecture.layers, name)
        }
    }

    /// Expert e's maps are rows of the stacked tensors: gate = input_linear[e][0..<dff] (activated),
    /// up = input_linear[e][dff..<2·dff], output = output_linear[e] · residual_multiplier; the
    /// unscaled maps are views of the file, not copies.
    func testExpertsAreViewsOfTheStackedTensors() throws {
        let m = try Fixtures.load("granitemoe-tiny")
        let checkpoint = try Checkpoint(directory: Fixtures.model("granitemoe-tiny"))
        let input = try checkpoint.tensor("model.layers.1.block_sparse_moe.input_linear.weight")    // [5, 32, 32]
        let output = try checkpoint.tensor("model.layers.1.block_sparse_moe.output_linear.weight")  // [5, 32, 16]
        XCTAssertEqual(input.shape, [5, 32, 32])
        let experts = try XCTUnwrap(m.weights.blocks[1].mlp.mixture).experts
        for (e, i, o) in [(0, 0, 0), (3, 5, 31), (4, 15, 2)] {
            XCTAssertEqual(experts[e].input.element(input: o, output: i), input[e, i, o])
            XCTAssertEqual(try XCTUnwrap(experts[e].up).element(input: o, output: i), input[e, 16 + i, o])
            XCTAssertEqual(experts[e].output.element(input: i, output: o), output[e, o, i] * 0.6, accuracy: 1e-7)
        }
        XCTAssertEqual(experts[2].input.weight.shape, [16, 32])
        XCTAssertEqual(experts[2].output.weight.shape, [32, 16])
    }

    /// transformers' gates (softmax over the top-k logits) equal the engine's renormalised top-k of
    /// the full softmax: per position, w_j = exp(l_j) / Σ_K exp(l_i), computed here from the router
    /// logits, and the chosen experts are the k largest logits.
    func testRoutingIsTheSoftmaxOfTheTopKLogits() throws {
        let ids = [1, 9, 40, 7, 23, 5, 60]
        for name in Self.names {
            let r = try Fixtures.load(name).forward(ids, capture: .all)
            let logits = try XCTUnwrap(r.cache[.block(0, .routerLogits)]), w = try XCTUnwrap(r.cache[.block(0, .routingWeights)])
            let idx = try XCTUnwrap(r.cache[.block(0, .expertIndices)])
            let (count, k) = (logits.shape[1], w.shape[1])
            for t in 0..<ids.count {
                let row = (0..<count).map { Double(logits[t, $0]) }
                let top = Array(row.indices.sorted { row[$0] > row[$1] }.prefix(k))
                XCTAssertEqual((0..<k).map { Int(idx[t, $0]) }, top, "\(name) \(t)")
                let z = top.map { exp(row[$0]) }.reduce(0, +)
                for j in 0..<k { XCTAssertEqual(Double(w[t, j]), exp(row[top[j]]) / z, accuracy: 1e-6, "\(name) \(t)") }
            }
        }
    }

    /// Configs transformers refuses (or fails on) are refused naming the key.
    func testInvalidConfigsAreRefusedNamingTheKey() throws {
        assertInvalidConfigs([
            (try edited("granitemoe-tiny", "num_experts_per_tok", "6"), "num_experts_per_tok"),
            (try edited("granitemoe-tiny", "num_local_experts", "null"), "'num_local_experts' is null"),
            (try edited("granitemoe-tiny", "num_local_experts", "0"), "num_local_experts"),
            (try edited("granitemoe-tiny", "head_dim", "16"), "'head_dim'"),
            (try edited("granitemoe-tiny", "num_attention_heads", "5"), "'num_attention_heads'"),
            (try edited("granitemoe-tiny", "partial_rotary_factor", "0.5"), "partial_rotary_factor"),
            (try edited("granitemoe-tiny", "embedding_multiplier", "null"), "'embedding_multiplier' is null"),
            (try edited("granitemoe-tiny", "logits_scaling", "0"), "'logits_scaling' is 0"),
            (try edited("granitemoe-tiny", "rope_scaling", #"{"type": "linear", "factor": 2.0}"#), "needs a 'rope_type' for granitemoe"),
        ], folder: { try self.folder(config: $0) })
        assertInvalidConfigs([
            (try edited("granitemoe-shared", "shared_intermediate_size", "-4"), "'shared_intermediate_size' is -4"),
            (try edited("granitemoe-shared", "shared_intermediate_size", "null"), "'shared_intermediate_size' is null"),
        ], folder: { try self.folder(config: $0, weightsOf: "granitemoe-shared") })
    }

    /// An invariance of Glassbox's (its run against its unedited run, not against a stored reference):
    /// the training-only router fields, a head_dim equal to d / H or null, and shared_intermediate_size
    /// on granitemoe change nothing. That transformers reads them the same way is its source's
    /// (GraniteMoeModel never reads the router fields in inference; GraniteMoeDecoderLayer builds no
    /// shared MLP for granitemoe); head_dim's null is also in HeadDimFieldTests' reference.
    func testFieldsAcceptedAsTransformersReadsThem() throws {
        let reference = try Fixtures.load("granitemoe-tiny").forward([1, 17, 3]).logits
        for (key, value) in [("head_dim", "8"), ("head_dim", "null"), ("output_router_logits", "true"),
                             ("router_aux_loss_coef", "0.5"), ("shared_intermediate_size", "64")] {
            let m = try TransformerModel.load(directory: folder(config: edited("granitemoe-tiny", key, value)))
            XCTAssertEqual(try m.forward([1, 17, 3]).logits?.storage, reference?.storage, key)
        }
    }

    /// position_embedding_type other than "rope" (written: GraniteMoeConfig's own "rope" is overridden by
    /// the key) leaves GraniteMoeModel without a rotary embedding: every layer unrotated, hook_rot_q =
    /// hook_q (NullFieldTests checks the null spelling's logits against transformers').
    func testPositionEmbeddingTypeOtherThanRopeRotatesNothing() throws {
        let ids = [1, 17, 3, 90]
        let rope = try TransformerModel.load(directory: folder(config: edited("granitemoe-tiny", "position_embedding_type", "\"rope\"")))
        XCTAssertEqual(rope.architecture.unrotatedLayers, [])
        XCTAssertEqual(try rope.forward(ids).logits?.storage, try Fixtures.load("granitemoe-tiny").forward(ids).logits?.storage)
        for value in ["\"absolute\"", "null"] {
            let m = try TransformerModel.load(directory: folder(config: edited("granitemoe-tiny", "position_embedding_type", value)))
            XCTAssertEqual(m.architecture.unrotatedLayers, [0, 1], value)
            let r = try m.forward(ids, capture: .all)
            XCTAssertEqual(r.cache[.block(1, .rotQ)]?.storage, r.cache[.block(1, .q)]?.storage, value)
            XCTAssertNotEqual(r.logits?.storage, try rope.forward(ids).logits?.storage, value)
        }
    }

    /// Weights that disagree with the config are named; shared_intermediate_size 0 on the shared
    /// checkpoint leaves its shared MLP unread (refused as unexpected tensors).
    func testWeightErrors() throws {
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: edited("granitemoe-tiny", "attention_bias", "true")))) { error in
            XCTAssertTrue("\(error)".contains("q_proj.bias"), "\(error)")
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: edited("granitemoe-tiny", "num_local_experts", "4")))) { error in
            XCTAssertTrue("\(error)".contains("block_sparse_moe.input_linear.weight"), "\(error)")
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: edited("granitemoe-tiny", "num_local_experts", "2147483647")))) { error in
            XCTAssertTrue("\(error)".contains("input_linear.weight"), "\(error)")
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: edited("granitemoe-shared", "shared_intermediate_size", "0"),
                                                                         weightsOf: "granitemoe-shared"))) { error in
            XCTAssertTrue("\(error)".contains("shared_mlp"), "\(error)")
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: edited("granitemoe-tiny", "tie_word_embeddings", "false")))) { error in
            XCTAssertTrue("\(error)".contains("lm_head.weight"), "\(error)")
        }
    }

    /// The defaults of transformers 4.53.3's GraniteMoeConfig for absent keys.
    func testDefaults() throws {
        let c = try ConfigDecoding.decode(GraniteMoEConfig.self, from: Data(#"{"model_type": "granitemoe"}"#.utf8),
                                          file: URL(fileURLWithPath: "config.json"))
        XCTAssertEqual([c.fields.vocabSize, c.fields.hiddenSize, c.fields.intermediateSize, c.fields.numHiddenLayers,
                        c.fields.numAttentionHeads, c.fields.numKeyValueHeads, c.fields.maxPositionEmbeddings, c.fields.headDim],
                       [32000, 4096, 11008, 32, 32, 32, 2048, 128])
        XCTAssertEqual([c.numLocalExperts, c.numExpertsPerTok, c.sharedIntermediateSize], [8, 2, 0])
        XCTAssertEqual([c.attentionBias, c.fields.tieWordEmbeddings], [false, false])
        XCTAssertEqual(c.fields.rmsNormEps, 1e-6)
        XCTAssertEqual(c.fields.ropeTheta, 10000)
        XCTAssertEqual(c.fields.hiddenAct, "silu")
        XCTAssertEqual(c.ropeScaling, .none)
        XCTAssertEqual([c.multipliers.embedding, c.multipliers.attention, c.multipliers.residual, c.multipliers.logitsScaling], [1, 1, 1, 1])
        let s = try ConfigDecoding.decode(GraniteMoEConfig.self, from: Data(#"{"model_type": "granitemoeshared"}"#.utf8),
                                          file: URL(fileURLWithPath: "config.json"))
        XCTAssertEqual(s.sharedIntermediateSize, 0)
        XCTAssertEqual(s.architecture().experts?.sharedExpert, false)
    }
}
