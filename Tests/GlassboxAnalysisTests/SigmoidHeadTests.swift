import Foundation
@testable import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// The analyses that read a class probability on a multi-label classifier read `σ(z_label)`, as the
/// pipeline shows it, against plain PyTorch (scripts/fixtures/generate_sigmoid.py →
/// Tests/Fixtures/heads/sigmoid.json, on generate_heads.py's bert-multilabel: 3 labels, one layer).
/// Float32 forward passes on both sides, logits of order 1: probabilities, log-probabilities and
/// cross-entropies agree within 5e-6 absolute (3e-7 seen) (the AtMan ΔCE reach 0.06, the patched probabilities
/// move by up to 0.05, so every check is far tighter than the effects). Before sigmoid heads were
/// read this way each analysis refused the model, so every test here failed.
final class SigmoidHeadTests: XCTestCase {
    static let tolerance = 5e-6
    private var reference: [String: Any] = [:]
    private var model: TransformerModel!
    private var ids: [Int] = []
    private var label = 0

    override func setUpWithError() throws {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/heads/sigmoid.json")
        reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let folder = try XCTUnwrap(reference["model"] as? String)
        model = try TransformerModel.load(directory: Fixtures.root.appendingPathComponent(folder))
        XCTAssertEqual(model.architecture.classScores, .sigmoid)
        ids = try XCTUnwrap(reference["ids"] as? [Int])
        label = try XCTUnwrap(reference["label"] as? Int)
    }

    private func section(_ key: String) throws -> [String: Any] { try XCTUnwrap(reference[key] as? [String: Any], key) }

    private func numbers(_ object: [String: Any], _ key: String) throws -> [Double] {
        try XCTUnwrap(object[key] as? [Double], key)
    }

    private func assertClose(_ got: [Float], _ expected: [Double], _ what: String) {
        XCTAssertEqual(got.count, expected.count, what)
        for (i, (a, b)) in zip(got, expected).enumerated() {
            XCTAssertEqual(Double(a), b, accuracy: Self.tolerance, "\(what)[\(i)]")
        }
    }

    /// AtMan's delta-ce on a sigmoid head: per group, `−log σ(z_suppressed) + log σ(z_base)` (the
    /// binary cross-entropy of the label being on), with the official default options; the record
    /// says the scores were sigmoid.
    func testAtManDeltaCEReadsTheLabelsSigmoid() throws {
        let atman = try section("atman")
        let result = try AtMan.explain(model, .tokens(ids, types: nil), target: .label(label))
        XCTAssertEqual(result.baseline.count, 1)
        XCTAssertEqual(Double(result.baseline[0]), try XCTUnwrap(atman["baseNLL"] as? Double), accuracy: Self.tolerance, "base −log σ")
        assertClose(result.perTarget.map { $0[0] }, try numbers(atman, "deltaCE"), "ΔCE")
        XCTAssertEqual(result.scores.parameters["scores"], "sigmoid")
        // delta-logit reads no probability: unchanged, and the record does not name a score function.
        var options = AtMan.Options()
        options.score = .logit
        let logit = try AtMan.explain(model, .tokens(ids, types: nil), target: .label(label), options: options)
        let base = try XCTUnwrap(atman["baseLogit"] as? Double)
        assertClose(logit.perTarget.map { $0[0] }, try numbers(atman, "suppressedLogit").map { base - $0 }, "Δlogit")
        XCTAssertNil(logit.scores.parameters["scores"])
    }

    /// `evaluate`'s readings: the label's logit and `σ(logit)` with sets of embedding rows replaced
    /// by the zero baseline.
    func testEvaluateReadsTheLabelsSigmoid() throws {
        let evaluate = try section("evaluate")
        let removals = try XCTUnwrap(evaluate["removals"] as? [[Int]])
        let runner = try PerturbationRunner(model: model, input: .tokens(ids, types: nil), target: .label(label),
                                            baselineRow: [Float](repeating: 0, count: model.architecture.dModel))
        let base = try XCTUnwrap(evaluate["base"] as? [String: Double])
        XCTAssertEqual(Double(runner.original.probability), try XCTUnwrap(base["prob"]), accuracy: Self.tolerance)
        XCTAssertEqual(Double(runner.original.value), try XCTUnwrap(base["logit"]), accuracy: Self.tolerance)
        let readings = try runner.read(removals)
        assertClose(readings.map(\.probability), try numbers(evaluate, "probs"), "σ(z) after removal")
        assertClose(readings.map(\.value), try numbers(evaluate, "logits"), "z after removal")
    }

    /// Denoising patches of every `resid_pre` and `z` site, read as `σ(z_answer)` and `log σ(z_answer)`.
    func testPatchingProbAndLogprobReadTheAnswersSigmoid() throws {
        let patch = try section("patch")
        let corrupted = try XCTUnwrap(patch["corrupted"] as? [Int])
        let maps = try XCTUnwrap(patch["maps"] as? [String: [String: [Double]]])
        for (name, metric) in [("prob", PatchingMetric.prob(answer: label)), ("logprob", .logProb(answer: label))] {
            var options = PatchingOptions(metric: metric)
            options.sites = [.residPre, .z]
            let result = try ActivationPatching.run(model, clean: ids, corrupted: corrupted, options: options)
            let clean = try XCTUnwrap((patch["clean"] as? [String: Double])?[name])
            let noised = try XCTUnwrap((patch["corruptedRun"] as? [String: Double])?[name])
            XCTAssertEqual(Double(result.cleanMetric), clean, accuracy: Self.tolerance, "\(name): clean")
            XCTAssertEqual(Double(result.corruptedMetric), noised, accuracy: Self.tolerance, "\(name): corrupted")
            for kind in [PatchingSiteKind.residPre, .z] {
                let map = try XCTUnwrap(result.map(kind))
                assertClose(map.raw, try XCTUnwrap(maps[kind.rawValue]?[name], kind.rawValue), "\(name) \(kind.rawValue)")
            }
        }
    }

    /// Causal tracing's restored `σ(z_answer)`, averaged over seeded noise samples, at every state.
    func testCausalTracingReadsTheAnswersSigmoid() throws {
        let trace = try section("trace")
        let settings = try XCTUnwrap(trace["options"] as? [String: Any])
        var options = try CausalTracing.Options(reference: settings)
        options.answer = try XCTUnwrap(trace["answer"] as? Int)
        let result = try CausalTracing.run(model, ids: ids, options: options)
        XCTAssertEqual(result.scores, .sigmoid)
        XCTAssertEqual(Double(result.cleanProb), try XCTUnwrap(trace["clean"] as? Double), accuracy: Self.tolerance)
        XCTAssertEqual(Double(result.corruptedProb), try XCTUnwrap(trace["corrupted"] as? Double), accuracy: Self.tolerance)
        let maps = try XCTUnwrap(trace["maps"] as? [String: [Double]])
        XCTAssertEqual(result.maps.map(\.site), ["resid", "mlp", "attn"])
        for map in result.maps { assertClose(map.raw, try XCTUnwrap(maps[map.site], map.site), "trace \(map.site)") }
    }

}

/// The sigmoid's own numerics, without the fixture model: `log σ` and AtP's seed on a sigmoid head.
final class SigmoidFunctionTests: XCTestCase {
    /// `log σ` is stable where the naive `log(1 / (1 + e^{−z}))` is not: −1000 and 1000 give −1000
    /// and −e^{−1000} (0 in Double), and it agrees with the naive form where that is exact.
    func testLogSigmoidIsStable() {
        XCTAssertEqual(ClassScoreFunction.logSigmoid(-1000), -1000)
        XCTAssertEqual(ClassScoreFunction.logSigmoid(1000), 0)
        for z in [-3.0, -0.5, 0, 0.7, 4] {
            XCTAssertEqual(ClassScoreFunction.logSigmoid(z), log(1 / (1 + exp(-z))), accuracy: 1e-15, "\(z)")
        }
    }

    /// `logProbability` reads one class: `log σ(z_i/τ)` for a sigmoid head (the other logits
    /// ignored), the log-softmax at τ otherwise — also where a naive softmax overflows.
    func testLogProbabilityReadsOneClass() {
        let row: ArraySlice<Float> = [9, 1, -2, 0.5, 3][1...]                      // indices from the slice start
        XCTAssertEqual(ClassScoreFunction.sigmoid.logProbability(of: 2, in: row), ClassScoreFunction.logSigmoid(0.5))
        XCTAssertEqual(ClassScoreFunction.sigmoid.logProbability(of: 3, in: row, temperature: 2), ClassScoreFunction.logSigmoid(1.5))
        let naive = { (tau: Double, i: Int) in
            let z = row.map { Double($0) / tau }
            return z[i] - log(z.map(exp).reduce(0, +))
        }
        for tau in [1.0, 0.5, 3] {
            for i in 0..<4 {
                XCTAssertEqual(ClassScoreFunction.softmax.logProbability(of: i, in: row, temperature: tau), naive(tau, i), accuracy: 1e-14, "τ \(tau) class \(i)")
            }
        }
        XCTAssertEqual(ClassScoreFunction.softmax.logProbability(of: 0, in: [1000, 1000]), -log(2), accuracy: 1e-12)
    }

    /// Attribution patching's seed on a sigmoid head is the derivative of the metric at the answer's
    /// logit only — `σ(1 − σ)` for prob, `1 − σ` for logprob — checked by central differences of
    /// the metric itself.
    func testAttributionSeedIsTheSigmoidsDerivative() {
        let logits: [Float] = [0.3, -1.2, 0.9]
        for metric in [PatchingMetric.prob(answer: 2), .logProb(answer: 2), .prob(answer: 1)] {
            let seed = AttributionPatching.seed(metric, logits: logits, cleanLogProbs: [], scores: .sigmoid)
            for v in logits.indices {
                let h: Float = 1e-2
                var up = logits, down = logits
                up[v] += h
                down[v] -= h
                let f = { (row: [Float]) in Double(metric.evaluate(Tensor(shape: [1, 3], storage: row), cleanLogProbs: [], scores: .sigmoid)) }
                let numeric = (f(up) - f(down)) / Double(2 * h)
                XCTAssertEqual(Double(seed[v]), numeric, accuracy: 1e-4, "\(metric) at \(v)")
            }
        }
    }
}
