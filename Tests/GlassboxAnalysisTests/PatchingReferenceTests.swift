import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Activation patching against plain PyTorch: scripts/fixtures/generate_patching.py patches the
/// Hugging Face modules of the GPT-2, Llama (GQA, RoPE), BERT masked-LM, Phi-3 (fused projections), Mixtral (experts),
/// Gemma 1 and 2 (embedding scale; Gemma 2's soft-caps, sliding windows, branch-output norms), OLMo 2 (whole-projection QK-norm,
/// branch-output norms), Qwen3 (per-head QK-norm) and GPT-NeoX (interleaved fused q/k/v, partial rotary;
/// sequential and parallel residual) fixtures with forward
/// hooks (no Glassbox code) and records the raw metric of every patched run; Glassbox's batched
/// engine must match every map within 1e-4 · max(1, |M_clean|, |M_corrupted|), and so must the
/// unpatched metrics. Every tensor the test expects must be in the file (a missing one fails).
final class PatchingReferenceTests: XCTestCase {
    static let models = ["gpt2-tiny", "llama-gqa", "bert-tiny-mlm", "phi3-longrope", "mixtral-moe", "gemma-tiny",
                         "gemma2-softcap", "olmo2-postnorm", "qwen3-qknorm", "neox-sequential", "neox-parallel", "phi-tiny",
                         "phi-qknorm", "gptj-tiny", "falcon-mq", "falcon-newarch", "falcon-seq", "gptneo-tiny", "gptneo-local",
                         "bloom-tiny", "bloom-odd",
                         "opt-tiny", "opt-post", "qwen2moe-tiny", "qwen3moe-tiny",
                         "bigcode-mq", "bigcode-mha",
                         "granite-tiny", "granite-bias",
                         "stablelm-tiny", "stablelm-par",
                         "cohere-tiny", "cohere-qknorm",
                         "olmoe-tiny", "olmoe-norm",
                         "starcoder2-tiny", "starcoder2-nobias",
                         "olmo-tiny", "olmo-clip",
                         "smollm3-swa",
                         "cohere2-tiny", "cohere2-types",
                         "olmoe-clip",
                         "glm-tiny", "glm4-tiny",
                         "granitemoe-shared",
                         "arcee-tiny",
                         "nemotron-tiny", "nemotron-bias",
                         "helium-tiny",
                         "gptj-whole", "opt-proj", "helium-bias",   // 1, 2, 2 heads: the path cases' heads clamped (pathCases)
                         "smollm3-tiny", "granitemoe-tiny",   // the generator's first non-flat attempt (its choose_problem)
                         "mpt-tiny", "mpt-bias",
                         "codegen-tiny", "codegen-wide",
                         "modernbert-tiny", "modernbert-bias",
                         "phimoe-tiny", "phimoe-plain",
                         "gemma3-text", "mistral-swa", "qwen2-swa", "gemma2-rope-linear",   // windows of 3–4 < 8 tokens, local rotary
                         "llama3-rope",
                         "electra-gen"]
    static let tolerance: Float = 1e-4
    static let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/patching")

    /// `(direction, metric name, site)` of every map the generator writes.
    static var plan: [(PatchingDirection, String, PatchingSiteKind)] {
        let exact: [PatchingSiteKind] = [.residPre, .attnOut, .mlpOut, .z, .zByPosition, .q, .k, .v]
        return exact.map { (.denoise, "logit_diff", $0) }
            + exact.filter { $0 != .zByPosition }.map { (.noise, "logit_diff", $0) }
            + ["logprob", "prob", "kl"].flatMap { m in [PatchingSiteKind.residPre, .z].map { (.denoise, m, $0) } }
    }

    func testEverySiteMatchesPyTorchForwardHooks() throws {
        for name in Self.models {
            let reference = try Reference(name)
            let tensor = reference.tensor
            let (clean, corrupted, position, answer, wrong) = try reference.inputs()
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let metrics: [String: PatchingMetric] = ["logit_diff": .logitDiff(answer: answer, wrong: wrong),
                                                     "logprob": .logProb(answer: answer), "prob": .prob(answer: answer), "kl": .kl]
            var checked = 0, largest: Float = 0
            for direction in PatchingDirection.allCases {
                for (metricName, metric) in metrics.sorted(by: { $0.key < $1.key }) {
                    let kinds = Self.plan.filter { $0.0 == direction && $0.1 == metricName }.map(\.2)
                    guard !kinds.isEmpty else { continue }
                    var options = PatchingOptions(metric: metric)
                    options.direction = direction
                    options.position = position
                    options.sites = kinds
                    let result = try ActivationPatching.run(model, clean: clean, corrupted: corrupted, options: options)
                    let mc = try tensor("clean.\(metricName)").storage[0], mr = try tensor("corrupted.\(metricName)").storage[0]
                    let scale = max(1, abs(mc), abs(mr))
                    let label = "\(name) \(direction) \(metricName)"
                    XCTAssertEqual(result.cleanMetric, mc, accuracy: Self.tolerance * scale, "\(label): clean metric")
                    XCTAssertEqual(result.corruptedMetric, mr, accuracy: Self.tolerance * scale, "\(label): corrupted metric")
                    for kind in kinds {
                        let key = "\(direction).\(metricName).\(kind.rawValue)"
                        let expected = try tensor(key)
                        let map = try XCTUnwrap(result.map(kind), key)
                        XCTAssertEqual(map.shape, expected.shape, "\(name) \(key): shape")
                        var worst = (index: 0, diff: Float(0))
                        for (i, (a, b)) in zip(map.raw, expected.storage).enumerated() where !(abs(a - b) <= worst.diff) {
                            worst = (i, abs(a - b).isNaN ? .infinity : abs(a - b))
                        }
                        XCTAssertLessThanOrEqual(worst.diff, Self.tolerance * scale,
                                                 "\(name) \(key): max |diff| at \(worst.index): \(map.raw[worst.index]) vs \(expected.storage[worst.index])")
                        let spread = (expected.storage.max() ?? 0) - (expected.storage.min() ?? 0)
                        XCTAssertGreaterThan(spread, 1e-4, "\(name) \(key): the reference map is flat; it checks nothing")
                        checked += 1
                        largest = max(largest, worst.diff / scale)
                    }
                }
            }
            XCTAssertEqual(checked, Self.plan.count, "\(name): maps checked")
            print("patching reference \(name): \(checked) maps, largest |diff| / scale \(largest)")
        }
    }

    /// Causal tracing (span 2..<4, scale 3, 3 samples, seed 11, window 3) and path patching (two
    /// cases) against the generator's PyTorch versions, which add the same SplitMix64 + Box–Muller
    /// noise through a hook on the embedding module and patch with forward hooks: probabilities
    /// within 1e-4 · max(1, p), logit differences within 1e-4 · max(1, |M_c|, |M_r|).
    func testCausalTracingAndPathPatchingMatchPyTorchForwardHooks() throws {
        for name in Self.models {
            let reference = try Reference(name)
            let tensor = reference.tensor
            let (clean, corrupted, position, answer, wrong) = try reference.inputs()
            let trace: [String: Any] = try reference.meta("trace")
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            var options = try CausalTracing.Options(reference: trace)
            options.answer = answer
            options.position = position
            try checkTrace(name, model: model, ids: clean, options: options, reference: reference)
            let metric = PatchingMetric.logitDiff(answer: answer, wrong: wrong)
            var patching = PatchingOptions(metric: metric)
            patching.position = position
            let scale = max(1, abs(try tensor("clean.logit_diff").storage[0]), abs(try tensor("corrupted.logit_diff").storage[0]))
            let cases = Self.pathCases(heads: model.architecture.heads)
            var pathLargest: Float = 0
            let written = try Self.pathCases(reference.meta("path") as [String: Any])   // the reference's cases are the clamped ones
            XCTAssertEqual(written.map(\.0), cases.map(\.0), "\(name): path cases")
            XCTAssertEqual(written.map(\.1), cases.map(\.1), "\(name): path senders")
            XCTAssertEqual(written.map(\.2), cases.map(\.2), "\(name): path receivers")
            for (label, senders, receivers) in cases {
                let path = try PathPatching.run(model, clean: clean, corrupted: corrupted, senders: senders, receivers: receivers,
                                                options: patching)
                let expected = try tensor("path.\(label)").storage[0]
                XCTAssertEqual(try XCTUnwrap(path.patched), expected, accuracy: 1e-4 * scale, "\(name) path \(label)")
                XCTAssertGreaterThan(abs(expected - path.cleanMetric), 1e-4, "\(name) path \(label): the path matters")
                pathLargest = max(pathLargest, abs(try XCTUnwrap(path.patched) - expected) / scale)
            }
            print("path patching reference \(name): largest |diff| / scale \(pathLargest)")
        }
    }

    /// The two path cases — senders heads 1, 2 of layer 0 to receivers q 0, k 3, v 2 of layer 1, and
    /// sender head 0 of layer 0 to the final residual — with every head h taken as min(h, heads − 1) and
    /// a repeated sender dropped (the generator's fitted_path_cases): unchanged with 4 heads or more;
    /// phi3-longrope (3 heads) k 2; opt-proj, helium-bias (2) senders 0, 1, receivers q 0, k 1, v 1;
    /// gptj-whole (1) sender 0, receivers q, k, v of head 0.
    static func pathCases(heads: Int) -> [(String, [PathPatching.Head], [PathPatching.Receiver])] {
        let h = { (head: Int) in min(head, heads - 1) }
        var senders: [PathPatching.Head] = []
        for head in [1, 2] where !senders.contains(where: { $0.head == h(head) }) {
            senders.append(.init(layer: 0, head: h(head)))
        }
        return [("heads", senders, [.head(layer: 1, head: h(0), input: .q), .head(layer: 1, head: h(3), input: .k),
                                    .head(layer: 1, head: h(2), input: .v)]),
                ("resid", [.init(layer: 0, head: h(0))], [.residual])]
    }

    /// The reference's metadata `path` ({case: {senders: [[l, h]], receivers: [[l, h, "q"|"k"|"v"]] | "resid"}})
    /// as cases, in the file's order of "heads", "resid".
    static func pathCases(_ meta: [String: Any]) throws -> [(String, [PathPatching.Head], [PathPatching.Receiver])] {
        try ["heads", "resid"].map { label in
            let spec = try XCTUnwrap(meta[label] as? [String: Any], "path case \(label)")
            let senders = try XCTUnwrap(spec["senders"] as? [[Int]]).map { PathPatching.Head(layer: $0[0], head: $0[1]) }
            let receivers: [PathPatching.Receiver]
            if spec["receivers"] as? String == "resid" {
                receivers = [.residual]
            } else {
                receivers = try XCTUnwrap(spec["receivers"] as? [[Any]]).map { r in
                    let input: PathPatching.Receiver.Input = try XCTUnwrap(["q": .q, "k": .k, "v": .v][XCTUnwrap(r[2] as? String)])
                    return .head(layer: try XCTUnwrap(r[0] as? Int), head: try XCTUnwrap(r[1] as? Int), input: input)
                }
            }
            return (label, senders, receivers)
        }
    }

    /// One model's causal trace against its reference: clean, noised and every restored `p` within
    /// 1e-4 · max(1, p_clean).
    private func checkTrace(_ name: String, model: TransformerModel, ids clean: [Int], options: CausalTracing.Options,
                            reference: Reference) throws {
        let tensor = reference.tensor
        let result = try CausalTracing.run(model, ids: clean, options: options)
        let pScale = max(1, result.cleanProb)
        XCTAssertEqual(result.cleanProb, try tensor("trace.clean").storage[0], accuracy: 1e-4 * pScale, "\(name): clean p")
        XCTAssertEqual(result.corruptedProb, try tensor("trace.corrupted").storage[0], accuracy: 1e-4 * pScale, "\(name): noised p")
        var largest: Float = 0
        for map in result.maps {
            let expected = try tensor("trace.\(map.site)")
            XCTAssertEqual(map.shape, expected.shape, "\(name) trace \(map.site)")
            let worst = zip(map.raw, expected.storage).map { abs($0 - $1) }.max() ?? .infinity
            largest = max(largest, worst)
            XCTAssertLessThanOrEqual(worst, 1e-4 * pScale, "\(name) trace \(map.site)")
        }
        print("causal tracing reference \(name): largest |p diff| \(largest)")
    }

    /// One model's reference file: its metadata (JSON values) and tensors; a missing file, key or
    /// tensor is an error naming it (the test fails, never skips).
    struct Reference {
        let name: String
        let file: SafetensorsFile

        /// `<folder>/<name>.safetensors`, written by `scripts/fixtures/<generator>`.
        init(_ name: String, folder: URL = PatchingReferenceTests.folder, generator: String = "generate_patching.py") throws {
            let url = folder.appendingPathComponent("\(name).safetensors")
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw Missing(description: "no patching reference \(url.path) (run scripts/fixtures/\(generator))")
            }
            (self.name, file) = (name, try SafetensorsFile(url: url))
        }

        func meta<T>(_ key: String) throws -> T {
            let text = try XCTUnwrap(file.metadata[key], "\(name): no metadata '\(key)'")
            return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) as? T,
                                 "\(name): metadata '\(key)' is \(text)")
        }

        func tensor(_ key: String) throws -> Tensor {
            guard file.entry(key) != nil else {
                throw Missing(description: "\(name): the reference has no tensor '\(key)' (it has \(file.tensorNames))")
            }
            return try file.tensor(key)
        }

        /// The clean and corrupted ids, the metric's position, answer and wrong token.
        func inputs() throws -> (clean: [Int], corrupted: [Int], position: Int, answer: Int, wrong: Int) {
            (try meta("clean"), try meta("corrupted"), try meta("position"), try meta("answer"), try meta("wrong"))
        }
    }

    struct Missing: LocalizedError, CustomStringConvertible {
        let description: String
        var errorDescription: String? { description }
    }
}
