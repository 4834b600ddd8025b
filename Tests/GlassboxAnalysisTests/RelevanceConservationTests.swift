import Foundation
@testable import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// The conservation and sanity checks of docs/methods.md §2.9 (items 3, 4, 7): CP-LRP conserves exactly
/// on bias-free models; switching every rule off is gradient × input; causal models give exactly
/// zero relevance after the explained position.
final class RelevanceConservationTests: XCTestCase {
    /// Σ_t R_token = target logit for CP-LRP on the bias-free Llama-style fixtures (RMSNorm, GQA,
    /// RoPE variants, sliding windows, Phi-3's fused projections and LongRoPE, Mixtral's experts with
    /// the routing weights detached; no biases anywhere), ≤ 1e-5 relative in fp32.
    func testCPLRPConservesExactlyOnBiasFreeLlamaModels() throws {
        for name in ["llama-gqa", "llama-rope-dynamic", "llama3-rope", "mistral-swa", "phi3-longrope", "mixtral-moe"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            for (caseName, file) in try Fixtures.goldenCases(name) {
                let ids = try Golden(url: file).inputIDs
                let cp = try Relevance.explain(model, .tokens(ids, types: nil), options: .init(method: .cpLRP))
                XCTAssertNil(cp.positions)
                let gap = abs(cp.inputTotal - cp.target.value) / abs(cp.target.value)
                XCTAssertLessThanOrEqual(gap, 1e-5, "\(name)/\(caseName): Σ R = \(cp.inputTotal), logit \(cp.target.value)")
                // The latent sums are conservative too: every layer's residual row carries the logit.
                for l in 0...model.architecture.layers {
                    let total = cp.layers.row(l).storage.reduce(0, +)
                    XCTAssertEqual(total, cp.target.value, accuracy: 1e-4 * abs(cp.target.value), "\(name)/\(caseName) layer \(l)")
                }
                // AttnLRP is not conservative (the softmax's Taylor remainder absorbs some): measured, not asserted.
                let attn = try Relevance.explain(model, .tokens(ids, types: nil))
                print(String(format: "%@/%@: CP-LRP gap %.1e; AttnLRP keeps %.3f of the logit", name, caseName,
                             Double(gap), Double(attn.inputTotal / attn.target.value)))
            }
        }
    }

    /// With every bias and LayerNorm β zeroed, CP-LRP conserves on GPT-2 and BERT once the position
    /// (and token-type) embeddings' shares are counted: Σ R_token + Σ R_pos (+ Σ R_type) = logit.
    func testZeroBiasConservationOnGPT2AndBERT() throws {
        for name in ["gpt2-tiny", "bert-tiny-mlm", "bert-cls"] {
            let model = try ZeroBias.load(name)
            for (caseName, file) in try Fixtures.goldenCases(name) {
                let ids = try Golden(url: file).inputIDs
                let position = model.architecture.head == .maskedLanguageModel ? (ids.firstIndex(of: 4) ?? 0) : nil
                let r = try Relevance.explain(model, .tokens(ids, types: nil), target: .top(position: position),
                                              options: .init(method: .cpLRP))
                let positions = try XCTUnwrap(r.positions).reduce(0, +)
                let gap = abs(r.inputTotal - r.target.value) / abs(r.target.value)
                XCTAssertLessThanOrEqual(gap, 1e-5, "\(name)/\(caseName): tokens \(r.tokens.reduce(0, +)) + positions \(positions) + types \(r.tokenTypes?.reduce(0, +) ?? 0) vs \(r.target.value)")
                if ids.count > 1 {
                    XCTAssertGreaterThan(abs(positions), 1e-3 * abs(r.target.value), "\(name)/\(caseName): positions take no share")
                }
            }
        }
    }

    /// ViT with zero biases under LXT's map (CP attention, Gamma rules): pixels + [CLS] + positions
    /// carry the logit (zennit#210: [CLS] and positions absorb what the pixels do not get).
    func testZeroBiasConservationOnViT() throws {
        let model = try ZeroBias.load("vit-tiny")
        for (caseName, file) in try Fixtures.goldenCases("vit-tiny") {
            let pixels = try Golden(url: file).tensor("pixel_values")
            let r = try Relevance.explain(model, .pixels(pixels), options: .init(method: .cpLRP))
            let gap = abs(r.inputTotal - r.target.value) / abs(r.target.value)
            XCTAssertLessThanOrEqual(gap, 1e-4, "vit-tiny/\(caseName): Σ R \(r.inputTotal) vs logit \(r.target.value)")
            XCTAssertEqual(r.pixels.map { finiteSum($0) } ?? 0, Double(r.tokens.dropFirst().reduce(0, +)), accuracy: 1e-4)
        }
    }

    /// Switching AttnLRP's modifications off one by one: each switch changes the result, and with all
    /// of them off the sweep is plain gradient × input.
    func testSwitchingEveryRuleOffGivesGradientTimesInput() throws {
        for name in ["gpt2-tiny", "llama-gqa", "bert-tiny-mlm", "mixtral-moe"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let ids = try Fixtures.golden(name, "full").inputIDs
            let input = ModelInput.tokens(ids, types: nil)
            let plain = try Relevance.explain(model, input, options: .init(method: .gradientTimesInput))
            let attn = try Relevance.explain(model, input)
            XCTAssertGreaterThan(RelevanceMetrics.compare(attn.tokens, plain.tokens).relative, 1e-2, "\(name): AttnLRP = GxI?")
            var rules = RuleTable.attnLRP.rules
            for op in [RelevanceOp.activation, .gatedProduct, .normalization, .attentionScores, .attentionValues] {
                var single = RuleTable.attnLRP.rules
                single[op] = .gradient
                let one = try Relevance.explain(model, input, options: .init(customRules: try RuleTable(single)))
                if op != .gatedProduct || model.architecture.mlp == .gated {
                    XCTAssertNotEqual(one.tokens, attn.tokens, "\(name): switching \(op) off changed nothing")
                }
                rules[op] = .gradient
            }
            XCTAssertEqual(try RuleTable(rules), .gradientTimesInput)
            let off = try Relevance.explain(model, input, options: .init(customRules: try RuleTable(rules)))
            XCTAssertEqual(off.tokens, plain.tokens, "\(name)")
            XCTAssertEqual(off.positions, plain.positions, "\(name)")
            XCTAssertEqual(off.heads, plain.heads, "\(name)")
        }
    }

    /// Negating the seed (a contrast `b − a` instead of `a − b`) flips every relevance's sign.
    func testNegatedSeedFlipsTheSign() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let ids = try Fixtures.golden("gpt2-tiny", "short").inputIDs
        let plus = try Relevance.explain(model, .tokens(ids, types: nil), target: .contrast(3, minus: 7))
        let minus = try Relevance.explain(model, .tokens(ids, types: nil), target: .contrast(7, minus: 3))
        XCTAssertEqual(plus.target.value, -minus.target.value, accuracy: 1e-5)
        for (a, b) in zip(plus.tokens, minus.tokens) { XCTAssertEqual(a, -b, accuracy: 1e-5) }
    }

    /// Causal models: relevance of every position after the explained one is exactly 0 (tokens,
    /// positions, and the residual stream at every layer), for all three methods.
    func testPositionsAfterTheExplainedOneGetExactlyZero() throws {
        for name in ["gpt2-tiny", "llama-gqa", "mistral-swa", "qwen2-swa", "phi3-longrope", "mixtral-moe"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let ids = try Fixtures.golden(name, "full").inputIDs
            let p = ids.count / 2
            for method in RelevanceMethod.allCases {
                let r = try Relevance.explain(model, .tokens(ids, types: nil), target: .top(position: p), options: .init(method: method))
                XCTAssertEqual(r.target.position, p)
                XCTAssertTrue(r.tokens[(p + 1)...].allSatisfy { $0 == 0 }, "\(name) \(method): \(r.tokens)")
                XCTAssertTrue(r.tokens[...p].contains { $0 != 0 })
                if let positions = r.positions { XCTAssertTrue(positions[(p + 1)...].allSatisfy { $0 == 0 }) }
                for l in 0...model.architecture.layers {
                    XCTAssertTrue((p + 1..<ids.count).allSatisfy { r.layers[l, $0] == 0 }, "\(name) \(method) layer \(l)")
                }
            }
        }
    }
}

/// Zero-bias copies of fixture checkpoints (every `*.bias` / `*.beta`, LayerNorm β included), written
/// to a temporary folder.
enum ZeroBias {
    static func load(_ name: String) throws -> TransformerModel {
        let source = Fixtures.model(name)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-zero-bias-\(name)-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors"))
        let tensors = try file.tensorNames.map { name -> (String, Tensor) in
            let t = try file.tensor(name)
            return (name, name.hasSuffix("bias") || name.hasSuffix("beta") ? Tensor.zeros(t.shape) : t)
        }
        try SafetensorsFile.write(tensors, to: folder.appendingPathComponent("model.safetensors"))
        for extra in ["config.json", "preprocessor_config.json"] where FileManager.default.fileExists(atPath: source.appendingPathComponent(extra).path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(extra), to: folder.appendingPathComponent(extra))
        }
        return try TransformerModel.load(directory: folder)
    }
}
