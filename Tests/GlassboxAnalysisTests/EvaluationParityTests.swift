import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Perturbation curves against a plain PyTorch evaluation of the same scores
/// (scripts/fixtures/generate_evaluation.py: Hugging Face models, `inputs_embeds` with the removed rows
/// replaced, ViT patches replaced in pixel space), on GPT-2, Llama, BERT masked LM and classifier and
/// ViT fixtures, with the zero, mean, token and mean-pixel baselines and with fewer units than steps,
/// and the cosine similarity of mean-pooled states on a bare BERT encoder (what MiniLM pairs use).
/// Probabilities within 1e-4, logits within 1e-4 of the case's largest |logit| (at least 1), counts
/// exactly, and ABPC / comprehensiveness / sufficiency within 1e-4 of the script's own formulas.
final class EvaluationParityTests: XCTestCase {
    static let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/evaluation")
    /// Every committed case; a missing one fails.
    static let cases = ["gpt2-copy-zero-k10", "gpt2-odd-mean-k4", "gpt2-odd-token-k20", "llama-gqa-zero-k5",
                        "bert-tiny-mlm-zero-k10", "bert-cls-mean-k3", "vit-tiny-mean-pixel-k6",
                        "bert-odd-similarity-k5"]
    static let tolerance: Float = 1e-4

    func testCurvesMatchThePyTorchReference() throws {
        for name in Self.cases {
            let url = Self.folder.appendingPathComponent("\(name).safetensors")
            guard FileManager.default.fileExists(atPath: url.path) else {
                XCTFail("no evaluation fixture \(url.path) (run scripts/fixtures/generate_evaluation.py)")
                continue
            }
            let file = try SafetensorsFile(url: url)
            func meta(_ key: String) throws -> String {
                guard let value = file.metadata[key] else { throw EvaluationFixtureProblem("\(name): no metadata \(key)") }
                return value
            }
            func json<T>(_ key: String) throws -> T {
                guard let value = try JSONSerialization.jsonObject(with: Data(try meta(key).utf8)) as? T else {
                    throw EvaluationFixtureProblem("\(name): metadata \(key) is not \(T.self)")
                }
                return value
            }
            let model = try TransformerModel.load(directory: Fixtures.model(try meta("model")))
            let ids: [Int] = try json("input_ids")
            let units: [Int] = try json("units")
            let targetSpec: [String: Any] = try json("target")
            guard let steps = Int(try meta("steps")) else { throw EvaluationFixtureProblem("\(name): bad steps") }
            let baseline = try meta("baseline")
            let input: ModelInput, row: [Float]
            if model.architecture.image != nil {
                let pixels = try file.tensor("pixel_values")
                input = .pixels(pixels)
                XCTAssertEqual(baseline, "mean-pixel", name)
                row = try PerturbationBaseline.meanPixelRow(for: model, pixels: pixels)
            } else {
                input = .tokens(ids, types: nil)
                guard let parsed = PerturbationBaseline(parsing: baseline) else { throw EvaluationFixtureProblem("\(name): baseline \(baseline)") }
                row = try parsed.row(for: model)
            }
            let target: PerturbationTarget = if targetSpec["kind"] as? String == "label" {
                .label(targetSpec["index"] as! Int)
            } else if targetSpec["kind"] as? String == "similarity" {
                .similarity(to: .tokens(targetSpec["other"] as! [Int], types: nil))
            } else {
                .token(id: targetSpec["id"] as! Int, position: targetSpec["position"] as! Int)
            }
            let runner = try PerturbationRunner(model: model, input: input, target: target, baselineRow: row)
            let curves = try runner.curves([try file.tensor("scores").storage], units: units, steps: steps)[0]
            XCTAssertEqual(curves.counts.map(Float.init), try file.tensor("counts").storage, "\(name): counts")
            for (label, curve) in [("morf", curves.morf), ("lerf", curves.lerf)] {
                let logits = try file.tensor("\(label)_logit"), probs = try file.tensor("\(label)_prob")
                let scale = max(1, logits.storage.map(abs).max() ?? 0)
                assertClose(Tensor(shape: [curve.values.count], storage: curve.values), logits,
                            tolerance: Self.tolerance * scale, "\(name) \(label) logits")
                assertClose(Tensor(shape: [curve.probabilities.count], storage: curve.probabilities), probs,
                            tolerance: Self.tolerance, "\(name) \(label) probabilities")
            }
            // The metrics of the reference's own curves, by the script's formulas.
            let reference = PerturbationCurves(
                counts: try file.tensor("counts").storage.map { Int($0) },
                morf: PerturbationCurve(values: try file.tensor("morf_logit").storage, probabilities: try file.tensor("morf_prob").storage),
                lerf: PerturbationCurve(values: try file.tensor("lerf_logit").storage, probabilities: try file.tensor("lerf_prob").storage))
            let m = FaithfulnessMetrics(reference), expected = try file.tensor("metrics").storage.map(Double.init)
            XCTAssertEqual(m.abpc, expected[0], accuracy: 1e-4, "\(name): ABPC")
            XCTAssertEqual(m.comprehensiveness, expected[1], accuracy: 1e-4, "\(name): comprehensiveness")
            XCTAssertEqual(m.sufficiency, expected[2], accuracy: 1e-4, "\(name): sufficiency")
            XCTAssertGreaterThan(abs(curves.morf.probabilities[0] - curves.morf.probabilities.last!), 1e-3,
                                 "\(name): removing every unit changes the prediction")
        }
    }
}

/// A committed evaluation fixture lacks something the test reads (the message names it).
struct EvaluationFixtureProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
