import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// AtP* (Kramár et al. 2024) against plain PyTorch autograd: scripts/fixtures/generate_attribution_patching.py
/// computes, with forward hooks and `torch.autograd.grad` (no Glassbox code), every cell's AtP*
/// estimate `ĉ` (the exact softmax for q/k sites, §3.1; nothing dropped) and its GradDrop score
/// `sign(ĉ) · 1/(L−1) · Σ_l |ĉ_l|` (§3.2, the norms' inputs of layer `l` detached), on GPT-2 and
/// Llama (GQA, RoPE), denoising with the logit difference and noising with log p, all eight site
/// kinds. Glassbox's `effect` must be `ĉ / (M_c − M_r)`, `raw` `M_base + ĉ` and `ranking` the
/// score / (M_c − M_r), each within 1e-4 · max(1, the map's largest |reference|) (`M_c`, `M_r`
/// Glassbox's, themselves within 1e-4 · max(1, |M|) of the reference's; float32 on both sides).
///
/// The q, k and pattern sites also on Gemma 2 (attention soft-cap, sliding windows), OLMo 2 (QK-norm
/// over the whole projection: patching one head's slice of `hook_q` moves every head's pattern) and
/// Qwen3 (per-head QK-norm), the same tolerances (`testQueryKeySitesMatchPyTorchAcrossScoreFamilies`).
final class PatchingAtPStarReferenceTests: XCTestCase {
    static let models = ["gpt2-tiny", "llama-gqa"]
    static let tolerance: Float = 1e-4
    static let sites: [PatchingSiteKind] = [.residPre, .attnOut, .mlpOut, .z, .q, .k, .v, .pattern]
    /// Families whose scores are not plain `softmax(scale · q·kᵀ)` of the per-head slices.
    static let scoreFamilies = ["gemma2-softcap", "olmo2-postnorm", "qwen3-qknorm"]

    func testEstimatesAndGradDropRankingMatchPyTorch() throws {
        try check(Self.models, sites: Self.sites, minimumDiffering: 10)
    }

    /// Gemma 2's soft-capped, sliding-window scores and the two QK-norm scopes: q, k and pattern.
    func testQueryKeySitesMatchPyTorchAcrossScoreFamilies() throws {
        try check(Self.scoreFamilies, sites: [.q, .k, .pattern], minimumDiffering: 2)
    }

    /// Every map of `sites` of each model against its fixture (see the class comment); GradDrop's
    /// score must differ from the estimate in more than `minimumDiffering` cells per model.
    private func check(_ models: [String], sites: [PatchingSiteKind], minimumDiffering: Int) throws {
        for name in models {
            let reference = try Self.reference(name)
            let (clean, corrupted, position, answer, wrong) = try reference.inputs()
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            var largest = (values: Float(0), ranking: Float(0)), differing = 0
            for (direction, metricName, metric) in [(PatchingDirection.denoise, "logit_diff", PatchingMetric.logitDiff(answer: answer, wrong: wrong)),
                                                     (.noise, "logprob", .logProb(answer: answer))] {
                var options = PatchingOptions(metric: metric)
                options.direction = direction
                options.position = position
                options.sites = sites
                var star = AttributionPatching.Options()
                star.star = true
                let result = try AttributionPatching.run(model, clean: clean, corrupted: corrupted, options: options, attribution: star)
                let label = "\(name) \(direction) \(metricName)"
                let mc = try reference.tensor("clean.\(metricName)").storage[0], mr = try reference.tensor("corrupted.\(metricName)").storage[0]
                let base = try reference.tensor("\(direction).\(metricName).base").storage[0]
                XCTAssertEqual(result.cleanMetric, mc, accuracy: Self.tolerance * max(1, abs(mc)), "\(label): clean metric")
                XCTAssertEqual(result.corruptedMetric, mr, accuracy: Self.tolerance * max(1, abs(mr)), "\(label): corrupted metric")
                XCTAssertEqual(result.maps.map(\.kind), sites, label)
                for map in result.maps {
                    let key = "\(direction).\(metricName).\(map.kind!.rawValue)"
                    let estimate = try reference.tensor("\(key).estimate"), score = try reference.tensor("\(key).graddrop")
                    XCTAssertEqual(map.shape, estimate.shape, "\(key): shape")
                    // Normalised by Glassbox's own M_c − M_r (checked above): on gpt2-tiny log p differs by
                    // ~1e-3 between the runs, so float32 rounding of the metrics alone moves ĉ / (M_c − M_r) by 0.2%.
                    let gap = result.cleanMetric - result.corruptedMetric
                    let values = estimate.storage.map { $0 / gap }, scores = score.storage.map { $0 / gap }
                    let v = Self.worst(map.effect, values), raw = Self.worst(map.raw, estimate.storage.map { base + $0 })
                    XCTAssertLessThanOrEqual(v.diff, Self.tolerance * Self.scale(values),
                                             "\(key) values: cell \(v.index) \(map.effect[v.index]) vs \(values[v.index])")
                    XCTAssertLessThanOrEqual(raw.diff, Self.tolerance * max(1, abs(base), Self.scale(estimate.storage)),
                                             "\(key) raw: cell \(raw.index)")
                    let ranking = try XCTUnwrap(map.ranking, "\(key): AtP* with GradDrop has a ranking")
                    let r = Self.worst(ranking, scores)
                    XCTAssertLessThanOrEqual(r.diff, Self.tolerance * Self.scale(scores),
                                             "\(key) ranking: cell \(r.index) \(ranking[r.index]) vs \(scores[r.index])")
                    XCTAssertGreaterThan(values.map(abs).max() ?? 0, 1e-3, "\(key): the reference map is flat; it checks nothing")
                    largest = (max(largest.values, v.diff / Self.scale(values)), max(largest.ranking, r.diff / Self.scale(scores)))
                    differing += zip(values, scores).filter { abs($0 - $1) > 1e-2 }.count
                }
            }
            // GradDrop must change the numbers somewhere, or the two comparisons check the same thing.
            XCTAssertGreaterThan(differing, minimumDiffering, "\(name): cells where the reference's GradDrop score differs from the estimate")
            print("AtP* reference \(name): largest |diff| / scale: values \(largest.values), ranking \(largest.ranking); \(differing) cells where GradDrop ≠ estimate")
        }
    }

    /// Where GradDrop's score differs from the estimate, `ranking` differs from `effect` (the map's
    /// values are the estimate, not the score); plain AtP and AtP* without GradDrop have no ranking,
    /// and AtP* without GradDrop gives the same values as with it.
    func testRankingIsNotTheValues() throws {
        let reference = try Self.reference("gpt2-tiny")
        let (clean, corrupted, position, answer, wrong) = try reference.inputs()
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        var options = PatchingOptions(metric: .logitDiff(answer: answer, wrong: wrong))
        options.position = position
        options.sites = [.residPre, .z, .v]
        var star = AttributionPatching.Options()
        star.star = true
        let withDrop = try AttributionPatching.run(model, clean: clean, corrupted: corrupted, options: options, attribution: star)
        star.gradDrop = false
        let withoutDrop = try AttributionPatching.run(model, clean: clean, corrupted: corrupted, options: options, attribution: star)
        let plain = try AttributionPatching.run(model, clean: clean, corrupted: corrupted, options: options)
        for (a, b) in zip(withDrop.maps, withoutDrop.maps) {
            XCTAssertEqual(a.effect, b.effect, "\(a.site): GradDrop leaves the estimates alone")
            XCTAssertNil(b.ranking, "\(b.site): no GradDrop, no ranking")
        }
        XCTAssertTrue(plain.maps.allSatisfy { $0.ranking == nil }, "plain AtP has no ranking")
        // z of layer 0, head 1: the reference estimate and GradDrop score differ well beyond the tolerance.
        let z = try XCTUnwrap(withDrop.map(.z)), ranking = try XCTUnwrap(z.ranking)
        let mc = withDrop.cleanMetric, mr = withDrop.corruptedMetric
        let expectedEstimate = try reference.tensor("denoise.logit_diff.z.estimate").storage
        let expectedScore = try reference.tensor("denoise.logit_diff.z.graddrop").storage
        let cells = z.effect.indices.filter { abs(expectedEstimate[$0] - expectedScore[$0]) / abs(mc - mr) > 0.1 }
        XCTAssertFalse(cells.isEmpty, "the fixture has z cells where GradDrop changes the number")
        for i in cells {
            XCTAssertGreaterThan(abs(z.effect[i] - ranking[i]), 0.05, "z cell \(i): values \(z.effect[i]) vs ranking \(ranking[i])")
        }
    }

    /// Largest `|a − b|` and where (NaN counts as infinitely far).
    static func worst(_ a: [Float], _ b: [Float]) -> (index: Int, diff: Float) {
        var worst = (index: 0, diff: a.count == b.count ? Float(0) : Float.infinity)
        for (i, (x, y)) in zip(a, b).enumerated() where !(abs(x - y) <= worst.diff) {
            worst = (i, abs(x - y).isNaN ? .infinity : abs(x - y))
        }
        return worst
    }

    /// `max(1, max |v|)`.
    static func scale(_ v: [Float]) -> Float { max(1, v.map(abs).max() ?? 0) }

    /// The generator's file for model `name`.
    static func reference(_ name: String) throws -> PatchingReferenceTests.Reference {
        try PatchingReferenceTests.Reference(name, folder: PatchingReferenceTests.folder.appendingPathComponent("atp"),
                                             generator: "generate_attribution_patching.py")
    }
}
