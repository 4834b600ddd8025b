import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Rollout and flow on the fixture models against the reference algorithms run in numpy/networkx
/// on the attentions transformers returns (scripts/fixtures/generate_analysis.py): the official
/// `compute_joint_attention` and `compute_flows` (samiraabnar/attention_flow) for the defaults, and
/// jacobgil/vit-explain's `rollout` for head fusion (mean, max, min), the discard ratio and
/// no-residual (docs/methods.md §1.2, §1.5).
///
/// Discard ratio r, jacobgil's semantics: the `k = int(n²·r)` lowest entries of the flattened fused
/// matrix are chosen (masked zeros of causal models among them), entry `[0, 0]` is then left out
/// of the choice, the rest are set to 0; then `+ I` and each row divided by its sum (jacobgil's
/// division without keepdim, vit-explain#16, is not reproduced).
///
/// Tolerance: max |Δ| ≤ 1e-5 for every matrix, row and flow.
final class RolloutParityTests: XCTestCase {
    static let tolerance: Float = 1e-5
    static let variants: Set<String> = ["max", "min", "mean~discard0.9", "max~discard0.9", "min~discard0.9", "mean~discard0.58",
                                        "mean~no-residual", "max~no-residual", "min~no-residual",
                                        "mean~no-residual~discard0.5", "mean~start1"]

    func testRolloutAndFlowMatchTheReference() throws {
        let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/analysis")
        let models = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(models, (["bert-cls", "bloom-odd", "bloom-tiny", "distilbert-mlm", "falcon-mq", "falcon-newarch", "falcon-seq", "gemma-tiny", "gemma2-softcap", "gemma3-mm", "gemma3-text", "gpt2-odd", "gptj-tiny", "gptj-whole", "gptneo-local", "gptneo-tiny", "llama-gqa",
                                "mixtral-moe", "neox-parallel", "olmo2-postnorm", "opt-post", "opt-proj", "opt-tiny", "phi-qknorm", "phi-tiny", "phi3-longrope", "qwen3-qknorm", "roberta-cls",
                                "vit-tiny", "xlmr-cls"] + ["qwen2moe-tiny", "qwen3moe-tiny"] + ["bigcode-mq", "bigcode-mha"] + ["granite-bias", "granite-tiny"] + ["stablelm-tiny", "stablelm-par"] + ["cohere-tiny", "cohere-qknorm"] + ["olmoe-tiny", "olmoe-norm"] + ["starcoder2-tiny", "starcoder2-nobias"] + ["olmo-tiny", "olmo-clip"] + ["smollm3-tiny", "smollm3-swa"] + ["cohere2-tiny", "cohere2-types"] + ["olmoe-clip"] + ["glm-tiny", "glm4-tiny"] + ["granitemoe-tiny", "granitemoe-shared"] + ["arcee-tiny"] + ["nemotron-tiny", "nemotron-bias"] + ["helium-tiny", "helium-bias"] + ["mpt-tiny", "mpt-bias"] + ["modernbert-tiny", "modernbert-bias"] + ["codegen-tiny", "codegen-wide"] + ["modernbert-cls", "modernbert-mean"] + ["phimoe-tiny", "phimoe-plain"] + ["mistral-swa", "qwen2-swa", "gpt2-tiny"] + ["electra-disc", "electra-cls"] + ["albert-mlm", "albert-cls"]).sorted())
        var flows = 0, variantCases = 0, cornerDiscards = 0
        for name in models {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(name).path).sorted() {
                let label = "\(name)/\(file)"
                let reference = try SafetensorsFile(url: folder.appendingPathComponent("\(name)/\(file)"))
                let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("\(name)/\(file)"))
                let input: ModelInput = golden.file.entry("pixel_values") != nil
                    ? .pixels(try golden.tensor("pixel_values")) : .tokens(golden.inputIDs, types: nil)
                let layers = try AttentionRollout.layerMatrices(model, input)
                let expected = try Self.required(reference, "rollout", label)
                assertClose(try AttentionRollout.matrix(layers), expected, tolerance: Self.tolerance, "\(label) rollout")
                let n = expected.shape[0]
                for p in [0, n - 1] {
                    assertClose(Tensor(shape: [n], storage: try AttentionRollout.row(layers, position: p)), expected.row(p),
                                tolerance: Self.tolerance, "\(label) rollout row \(p)")
                }
                if n <= 12 {
                    let flow = try Self.required(reference, "flow", label)
                    for u in 0..<n {
                        assertClose(Tensor(shape: [n], storage: try AttentionFlow.row(layers, position: u).normalized), flow.row(u),
                                    tolerance: Self.tolerance, "\(label) flow row \(u)")
                    }
                    flows += 1
                }
                variantCases += try checkVariants(model, input, reference, label: label, n: n)
                if let corner = reference.metadata["cls_among_discarded"], corner != "[]" { cornerDiscards += 1 }
            }
        }
        XCTAssertGreaterThanOrEqual(flows, 6)
        XCTAssertGreaterThanOrEqual(variantCases, 12)
        // Cases where [0, 0] was among the k lowest, so jacobgil zeroes k − 1 entries: the semantics differ there.
        XCTAssertGreaterThanOrEqual(cornerDiscards, 4, "no reference case has [0, 0] among the discarded weights")
    }

    /// Every variant listed in the file's `variants` metadata: the rollout matrix and rows 0 and
    /// n − 1; the flow variant where present. Returns 1 (a case checked).
    func checkVariants(_ model: TransformerModel, _ input: ModelInput, _ reference: SafetensorsFile, label: String, n: Int) throws -> Int {
        guard let listed = reference.metadata["variants"],
              let variants = try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]] else {
            XCTFail("\(label): no `variants` metadata; regenerate with scripts/fixtures/generate_analysis.py")
            return 0
        }
        let layers = model.architecture.layers
        let keys = Set(variants.compactMap { $0["key"] as? String })
        XCTAssertEqual(keys, Self.variants.filter { layers > 1 || !$0.hasSuffix("start1") }, "\(label): rollout variants")
        for variant in variants {
            guard let key = variant["key"] as? String, let fusion = variant["head_fusion"] as? String,
                  let ratio = variant["discard_ratio"] as? Double, let residual = variant["add_residual"] as? Bool,
                  let start = variant["start_layer"] as? Int else {
                XCTFail("\(label): malformed variant \(variant)")
                continue
            }
            let headFusion: HeadFusion = switch fusion {
            case "max": .max
            case "min": .min
            default: .mean
            }
            let options = RolloutOptions(startLayer: start, headFusion: headFusion, addResidual: residual, discardRatio: ratio)
            let matrices = try AttentionRollout.layerMatrices(model, input, options: options)
            let expected = try Self.required(reference, "rollout~\(key)", label)
            assertClose(try AttentionRollout.matrix(matrices), expected, tolerance: Self.tolerance, "\(label) rollout~\(key)")
            for p in [0, n - 1] {
                assertClose(Tensor(shape: [n], storage: try AttentionRollout.row(matrices, position: p)), expected.row(p),
                            tolerance: Self.tolerance, "\(label) rollout~\(key) row \(p)")
            }
            if n <= 12 && key == "max~discard0.9" {
                let flow = try Self.required(reference, "flow~\(key)", label)
                for u in 0..<n {
                    assertClose(Tensor(shape: [n], storage: try AttentionFlow.row(matrices, position: u).normalized), flow.row(u),
                                tolerance: Self.tolerance, "\(label) flow~\(key) row \(u)")
                }
            }
        }
        return 1
    }

    /// A reference tensor that must be there; the error names it and the file.
    static func required(_ file: SafetensorsFile, _ name: String, _ label: String) throws -> Tensor {
        guard file.entry(name) != nil else {
            throw AnalysisError.invalidOption("\(label): reference tensor \"\(name)\" is missing; regenerate with scripts/fixtures/generate_analysis.py")
        }
        return try file.tensor(name)
    }
}
