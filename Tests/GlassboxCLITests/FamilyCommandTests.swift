import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Every analysis command end to end on the GPT-NeoX (parallel and sequential residual), Qwen3
/// (QK-norm), Phi-3 (fused projections, LongRoPE), Mixtral (sparse mixture of experts), Gemma 1–3
/// (sandwich norms, soft-caps, sliding windows; Gemma 3's multimodal checkpoint as its text model) and OLMo 2 (branch-output norms, whole-projection
/// QK-norm), Phi (one LayerNorm feeding parallel branches, per-head QK LayerNorm) and GPT-Neo (unscaled
/// scores, local windows, learned positions) fixtures: finite numbers of the right shapes from the CLI, the CLI's token scores equal
/// to the library's, and conservation where the method conserves (AttnLRP, CP-LRP: inputs + biases +
/// softmax + Gamma = the explained logit; docs/methods.md §2). Agreement with LXT
/// is RelevanceParityTests'; every hook point against transformers is GoldenTests'.
final class FamilyCommandTests: XCTestCase {
    static let models = ["neox-parallel", "neox-sequential", "qwen3-qknorm", "phi3-longrope", "mixtral-moe", "gemma-tiny",
                         "gemma2-softcap", "gemma3-text", "gemma3-mm", "olmo2-postnorm", "phi-tiny", "phi-qknorm",
                         "gptj-tiny", "gptj-whole",
                         "falcon-mq", "falcon-newarch", "falcon-seq",
                         "gptneo-tiny", "gptneo-local",
                         "bloom-tiny", "bloom-odd",
                         "opt-tiny", "opt-post", "opt-proj",
                         "qwen2moe-tiny", "qwen3moe-tiny",
                         "bigcode-mq", "bigcode-mha",
                         "granite-tiny", "granite-bias",
                         "stablelm-tiny", "stablelm-par",
                         "cohere-tiny", "cohere-qknorm",
                         "olmoe-tiny", "olmoe-norm",
                         "starcoder2-tiny", "starcoder2-nobias",
                         "olmo-tiny", "olmo-clip",
                         "smollm3-tiny", "smollm3-swa",
                         "cohere2-tiny", "cohere2-types",
                         "olmoe-clip",
                         "glm-tiny", "glm4-tiny",
                         "granitemoe-tiny", "granitemoe-shared",
                         "arcee-tiny",
                         "nemotron-tiny", "nemotron-bias",
                         "helium-tiny", "helium-bias",
                         "mpt-tiny", "mpt-bias",
                         "modernbert-tiny", "modernbert-bias",
                         "codegen-tiny", "codegen-wide",
                         "phimoe-tiny", "phimoe-plain"]
    static let ids = [5, 17, 3, 44, 9]
    private var out: URL!

    override func setUp() {
        out = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-family-\(UUID().uuidString).png")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: out) }

    private func json(_ arguments: [String], _ model: String) throws -> [String: Any] {
        try runGlassboxJSON(arguments, model: model, out: out)
    }

    private func assertFinite(_ object: [String: Any], _ label: String) { assertFiniteJSON(object, label) }

    func testRelevanceMethodsConserveAndMatchTheLibrary() throws {
        let ids = Self.ids.map(String.init).joined(separator: ",")
        for name in Self.models {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            for (flag, method) in [("attnlrp", RelevanceMethod.attnLRP), ("cp-lrp", .cpLRP), ("grad-input", .gradientTimesInput)] {
                let object = try json(["explain", "--ids", ids, "--method", flag], name)
                assertFinite(object, "\(name) \(flag)")
                let scores = try XCTUnwrap(object["tokens"] as? [[String: Any]]).compactMap { ($0["score"] as? NSNumber)?.floatValue }
                XCTAssertEqual(scores.count, Self.ids.count, "\(name) \(flag)")
                let library = try Relevance.explain(model, .tokens(Self.ids, types: nil), options: RelevanceOptions(method: method))
                for (a, b) in zip(scores, library.tokens) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "\(name) \(flag)") }
                let budget = library.budget
                guard method != .gradientTimesInput else { continue }   // the plain gradient does not conserve
                XCTAssertLessThan(abs(budget.unaccounted), 1e-4 * max(1, abs(budget.explained)),
                                  "\(name) \(flag): not conserved, \(budget)")
                // Learned positions (GPT-Neo) take the rest of the inputs' share; nil elsewhere.
                let positions = Double((library.positions ?? []).reduce(0, +))
                XCTAssertEqual(Double(scores.reduce(0, +)) + positions, budget.inputs, accuracy: 1e-4 * max(1, abs(budget.explained)),
                               "\(name) \(flag): token scores do not sum to the inputs' share")
            }
            for flag in ["atman", "rollout", "gae", "attention"] {
                let object = try json(["explain", "--ids", ids, "--method", flag], name)
                assertFinite(object, "\(name) \(flag)")
                XCTAssertEqual((object["tokens"] as? [Any])?.count, Self.ids.count, "\(name) \(flag)")
            }
        }
    }

    func testLensAttentionProjectionAndNeurons() throws {
        let ids = Self.ids.map(String.init).joined(separator: ",")
        for name in Self.models {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let arch = model.architecture
            let lens = try json(["lens", "--ids", ids], name)
            assertFinite(lens, "\(name) lens")
            XCTAssertEqual((lens["rows"] as? [Any])?.count, arch.layers + 1, "\(name) lens: one row per block output and the embeddings")
            let attention = try json(["attention", "--ids", ids, "--layer", "1"], name)
            assertFinite(attention, "\(name) attention")
            // Each row of every pattern is a distribution.
            let pattern = try XCTUnwrap(attention["attention"] as? [[[[NSNumber]]]])
            for head in pattern[0] { for row in head { XCTAssertEqual(row.reduce(0) { $0 + $1.doubleValue }, 1, accuracy: 1e-5) } }
            if arch.qkvClip == nil {
                assertFinite(try json(["project", "--layer", "1", "--head", "0", "--top-k", "3"], name), "\(name) project ov")
            } else {   // clip_qkv: OV is not the clamped head's map, refused (OLMoCommandTests)
                XCTAssertEqual(try runGlassbox(["project", "--model", "Tests/Fixtures/models/\(name)", "--layer", "1", "--head", "0"]).status, 1, name)
            }
            // A mixture's neuron 2 is expert 0's neuron 2 (expert-major numbering; MixtureMemoriesCommandTests).
            assertFinite(try json(["project", "--layer", "0", "--neuron", "2", "--top-k", "3"], name), "\(name) project ffn")
            assertFinite(try json(["neurons", "--ids", ids, "--layer", "1", "--top-k", "3"], name), "\(name) neurons")
        }
    }

    /// Runs only (exit 0, finite numbers): patching, tracing and path patching are not yet compared
    /// with an outside implementation on these families.
    func testPatchTraceAndPathRun() throws {
        let patch = ["--clean-ids", "5,17,3,44,9", "--corrupted-ids", "5,18,3,44,9", "--answer-id", "7", "--wrong-id", "9"]
        for name in Self.models {
            assertFinite(try json(["patch"] + patch + ["--sites", "resid,attn,mlp,heads,heads-pos,qkv"], name), "\(name) patch")
            assertFinite(try json(["patch"] + patch + ["--method", "atp"], name), "\(name) atp")
            assertFinite(try json(["trace", "--ids", "5,17,3,44,9", "--noise-span", "1:3", "--samples", "3", "--window", "2",
                                   "--seed", "5"], name), "\(name) trace")
            // Heads 1 and 2 of layer 0, or head 0 of a one-head model (gptj-whole).
            let senders = try TransformerModel.load(directory: Fixtures.model(name)).architecture.heads > 2 ? "0.1,0.2" : "0.0"
            let path = try runGlassbox(["path", "--model", "Tests/Fixtures/models/\(name)"] + patch
                                       + ["--senders", senders, "--receivers", "1.0.q,1.0", "--json"])
            XCTAssertEqual(path.status, 0, "\(name) path: \(path.stderr)")
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(path.stdout.utf8)) as? [String: Any])
            assertFinite(object, "\(name) path")
        }
    }

    func testInfoListsTheFamiliesAndTheNewHookPoints() throws {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try runGlassbox(
            ["info", "--model", "Tests/Fixtures/models/qwen3-qknorm", "--json"]).stdout.utf8)) as? [String: Any])
        let model = try XCTUnwrap(object["model"] as? [String: Any])
        XCTAssertEqual(model["supportedModelTypes"] as? [String], ["albert", "arcee", "bert", "bloom", "camembert", "codegen", "cohere", "cohere2", "distilbert", "electra", "falcon", "gemma", "gemma2", "gemma3", "gemma3_text", "glm", "glm4", "gpt2", "gpt_bigcode", "gpt_neo", "gpt_neox", "gptj", "granite", "granitemoe", "granitemoeshared", "helium", "llama", "mistral", "mixtral", "modernbert", "mpt", "nemotron", "olmo", "olmo2", "olmoe", "opt", "phi", "phi3", "phimoe", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "roberta", "smollm3", "stablelm", "starcoder2", "vit", "xlm-roberta"])
        XCTAssertEqual(model["headDim"] as? Int, 14)
        XCTAssertTrue((model["block"] as? String)?.contains("QK-norm") ?? false)
        XCTAssertTrue((object["hooks"] as? [String])?.contains("blocks.1.attn.k_norm.hook_scale") ?? false)
        let text = try runGlassbox(["info", "--model", "Tests/Fixtures/models/neox-parallel"])
        XCTAssertEqual(text.status, 0)
        XCTAssertTrue(text.stdout.contains("families     albert, arcee, bert, bloom, camembert, codegen, cohere, cohere2, distilbert, electra, falcon, gemma, gemma2, gemma3, gemma3_text, glm, glm4, gpt2, gpt_bigcode, gpt_neo, gpt_neox, gptj, granite, granitemoe, granitemoeshared, helium, llama, mistral, mixtral, modernbert, mpt, nemotron, olmo, olmo2, olmoe, opt, phi, phi3, phimoe, qwen2, qwen2_moe, qwen3, qwen3_moe, roberta, smollm3, stablelm, starcoder2, vit, xlm-roberta"), text.stdout)
        XCTAssertTrue(text.stdout.contains("parallel attention and MLP"), text.stdout)
        XCTAssertFalse(text.stdout.contains("hook_resid_mid"), text.stdout)
        let moe = try runGlassbox(["info", "--model", "Tests/Fixtures/models/mixtral-moe"])
        XCTAssertTrue(moe.stdout.contains("sparse mixture of 5 gated-MLP experts, top-2 routing"), moe.stdout)
        for hook in ["blocks.0.mlp.hook_router_logits", "blocks.0.mlp.hook_expert_indices", "blocks.0.mlp.experts.4.hook_post"] {
            XCTAssertTrue(moe.stdout.contains(hook), hook)
        }
        let phi = try runGlassbox(["info", "--model", "Tests/Fixtures/models/phi3-longrope"])
        XCTAssertTrue(phi.stdout.contains("LongRoPE from 8"), phi.stdout)
        let phi2 = try runGlassbox(["info", "--model", "Tests/Fixtures/models/phi-qknorm"])
        XCTAssertTrue(phi2.stdout.contains("block        parallel attention and MLP on one norm (x + attn(ln1(x)) + mlp(ln2(x)), ln2 = ln1); "
                                           + "QK-norm (LayerNorm per query and key head)"), phi2.stdout)
        XCTAssertTrue(phi2.stdout.contains("parameters   15.1k"), phi2.stdout)
        XCTAssertFalse(phi2.stdout.contains("hook_resid_mid"), phi2.stdout)
        let gptj = try runGlassbox(["info", "--model", "Tests/Fixtures/models/gptj-tiny"])
        XCTAssertTrue(gptj.stdout.contains("rotary (4 dims, interleaved pairs, θ 10000.0)"), gptj.stdout)
        XCTAssertTrue(gptj.stdout.contains("parallel attention and MLP on one norm"), gptj.stdout)
    }

    func testQKProjectionIsRefusedUnderQKNorm() throws {
        let refused = try runGlassbox(["project", "--model", "Tests/Fixtures/models/qwen3-qknorm", "--layer", "0", "--head", "1",
                                       "--what", "qk", "--out", out.path])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("QK-norm"), refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertEqual(try runGlassbox(["project", "--model", "Tests/Fixtures/models/neox-parallel", "--layer", "0", "--head", "1",
                                        "--what", "qk", "--out", out.path]).status, 0)
    }

    func testCheferIsRefusedWithOneLine() throws {
        for name in ["neox-parallel", "qwen3-qknorm", "mixtral-moe"] {
            let refused = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/\(name)", "--ids", "5,17,3",
                                           "--method", "chefer", "--out", out.path])
            XCTAssertEqual(refused.status, 1, "\(name): \(refused.stderr)")
            XCTAssertTrue(refused.stderr.contains("not defined"), refused.stderr)
        }
    }
}
