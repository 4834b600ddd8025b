import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Attribution patching's gradients, checked against the model itself: for every cell of every
/// site kind, AtP's estimate `(a_source − a_base) · ∂M/∂a` must equal the central finite difference
/// `(M(a + εΔ) − M(a − εΔ)) / 2ε` of the metric along the same direction, computed with hook-path
/// interventions (ε = 1e-2 and 5e-3, Richardson-extrapolated), within 2e-3 · (1 + the map's largest
/// |estimate|). On GPT-2,
/// Llama (GQA, RoPE) and BERT (post-norm), denoising and noising, all four metrics.
/// Also: the agreement with exact patching is reported per map, with k = min(10, cells).
final class PatchingAttributionTests: XCTestCase {
    static let families = ["gpt2-tiny", "llama-gqa", "bert-tiny-mlm"]

    func testEstimatesAreTheDirectionalDerivative() throws {
        for name in Self.families {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let arch = model.architecture
            let (clean, corrupted, answer, wrong) = try PatchingHookPathTests.problem(model)
            for (metric, direction) in [(PatchingMetric.logitDiff(answer: answer, wrong: wrong), PatchingDirection.denoise),
                                        (.logProb(answer: answer), .noise), (.prob(answer: answer), .denoise),
                                        (.kl, .denoise)] {
                var options = PatchingOptions(metric: metric)
                options.direction = direction
                options.sites = [.residPre, .attnOut, .mlpOut, .z, .q, .k, .v, .pattern]
                let result = try AttributionPatching.run(model, clean: clean, corrupted: corrupted, options: options)
                let (base, source) = direction == .denoise ? (corrupted, clean) : (clean, corrupted)
                let position = clean.count - 1
                let row: Int = if case .sequenceClassification = arch.head { 0 } else { position }
                let cleanLogits = try model.forward(clean, logitRows: .positions([row])).logits!.storage
                let sourceRun = try model.forward(source, capture: .all, logitRows: .positions([row]))
                func metricValue(_ logits: [Float]) -> Double {
                    func logSoftmax(_ x: [Float]) -> [Double] {
                        let m = Double(x.max()!)
                        let lse = m + log(x.reduce(0.0) { $0 + exp(Double($1) - m) })
                        return x.map { Double($0) - lse }
                    }
                    switch metric {
                    case .logitDiff(let a, let w): return Double(logits[a] - logits[w])
                    case .logProb(let a): return logSoftmax(logits)[a]
                    case .prob(let a): return exp(logSoftmax(logits)[a])
                    case .kl:
                        let lc = logSoftmax(cleanLogits), lp = logSoftmax(logits)
                        return zip(lc, lp).reduce(0.0) { $0 + exp($1.0) * ($1.0 - $1.1) }
                    }
                }
                let epsilon: Float = 1e-2
                var worst: Float = 0
                for map in result.maps {
                    let kind = try XCTUnwrap(map.kind)
                    let scale = 1 + (map.raw.map { abs($0 - (direction == .denoise ? result.corruptedMetric : result.cleanMetric)) }.max() ?? 0)
                    for (i, estimateRaw) in map.raw.enumerated() {
                        let (point, rows, columns) = cell(kind, index: i, shape: map.shape, architecture: arch, length: clean.count)
                        let sourceActivation = try XCTUnwrap(sourceRun.cache[point], point.name)
                        func run(_ e: Float) throws -> Double {
                            let interventions = Interventions(point) { _, a in
                                var out = a
                                let width = a.count / a.shape[0]
                                out.withUnsafeMutableBufferPointer { o in
                                    for r in rows { for c in columns {
                                        let j = r * width + c
                                        o[j] += e * (sourceActivation.storage[j] - a.storage[j])
                                    } }
                                }
                                return out
                            }
                            return metricValue(try model.forward(base, interventions: interventions,
                                                                 logitRows: .positions([row])).logits!.storage)
                        }
                        // Central differences at ε and ε/2, combined by Richardson extrapolation
                        // (cancels the ε² term: large Δ make the metric visibly cubic at ε = 1e-2).
                        let d1 = (try run(epsilon) - run(-epsilon)) / Double(2 * epsilon)
                        let d2 = (try run(epsilon / 2) - run(-epsilon / 2)) / Double(epsilon)
                        let derivative = Float((4 * d2 - d1) / 3)
                        let baseMetric = direction == .denoise ? result.corruptedMetric : result.cleanMetric
                        let estimate = estimateRaw - baseMetric
                        let diff = abs(estimate - derivative) / scale
                        worst = max(worst, diff)
                        XCTAssertLessThanOrEqual(diff, 2e-3, "\(name) \(metric.name) \(direction) \(map.site) cell \(i): AtP \(estimate) vs finite difference \(derivative)")
                    }
                }
                print("AtP gradients \(name) \(metric.name) \(direction): largest |AtP − finite difference| / scale \(worst)")
            }
        }
    }

    /// The hook, rows and columns of cell `index` of a map of `kind` (all positions for head sites).
    private func cell(_ kind: PatchingSiteKind, index: Int, shape: [Int], architecture arch: Architecture,
                      length n: Int) -> (HookPoint, [Int], Range<Int>) {
        let l = index / shape[1], j = index % shape[1], dh = arch.headDim
        switch kind {
        case .residPre: return (.block(l, .residPre), [j], 0..<arch.dModel)
        case .attnOut: return (.block(l, .attnOut), [j], 0..<arch.dModel)
        case .mlpOut: return (.block(l, .mlpOut), [j], 0..<arch.dModel)
        case .z: return (.block(l, .z), Array(0..<n), (j * dh)..<((j + 1) * dh))
        case .q: return (.block(l, .q), Array(0..<n), (j * dh)..<((j + 1) * dh))
        case .k: return (.block(l, .k), Array(0..<n), (j * dh)..<((j + 1) * dh))
        case .v: return (.block(l, .v), Array(0..<n), (j * dh)..<((j + 1) * dh))
        case .pattern: return (.block(l, .pattern), [j], 0..<(n * n))
        case .zByPosition: fatalError("not used")
        }
    }

    func testAgreementIsReportedPerMap() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let (clean, corrupted, answer, wrong) = try PatchingHookPathTests.problem(model)
        var options = PatchingOptions(metric: .logitDiff(answer: answer, wrong: wrong))
        options.sites = [.residPre, .z]
        var attribution = AttributionPatching.Options()
        attribution.compareWithExact = true
        let result = try AttributionPatching.run(model, clean: clean, corrupted: corrupted, options: options, attribution: attribution)
        XCTAssertEqual(result.agreement.map(\.site), ["resid_pre", "z"])
        for (a, map) in zip(result.agreement, result.maps) {
            XCTAssertTrue(a.pearson.isFinite && a.pearson <= 1 && a.pearson >= -1, "\(a)")
            XCTAssertEqual(a.k, min(10, map.effect.count))
            XCTAssertTrue(a.topKOverlap >= 0 && a.topKOverlap <= 1, "\(a)")
        }
        print("AtP agreement gpt2-tiny: \(result.agreement.map { "\($0.site) Pearson \($0.pearson) top-\($0.k) \($0.topKOverlap)" })")
    }
}

/// AtP*'s query/key correction (Kramár et al. 2024, §3.1), GradDrop off: the estimate of a q or k
/// site is `⟨A_patched − A_base, ∂M/∂A⟩`, so it must equal the central finite difference of the
/// metric along the pattern direction `A_patched − A_base`, with `A_patched` taken from a hook-path
/// run that patches the queries (keys) and captures the pattern, and the pattern moved by an
/// intervention at `attn.hook_pattern`. On GPT-2 and Llama (GQA: a key head feeds two query heads).
final class PatchingAtPStarTests: XCTestCase {
    func testQueryKeyEstimatesLineariseAfterTheExactPattern() throws {
        for name in ["gpt2-tiny", "llama-gqa"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let arch = model.architecture
            let (clean, corrupted, answer, wrong) = try PatchingHookPathTests.problem(model)
            var options = PatchingOptions(metric: .logitDiff(answer: answer, wrong: wrong))
            options.sites = [.q, .k]
            var star = AttributionPatching.Options()
            star.star = true
            star.gradDrop = false
            let result = try AttributionPatching.run(model, clean: clean, corrupted: corrupted, options: options, attribution: star)
            let n = clean.count, dh = arch.headDim, group = arch.heads / arch.kvHeads
            let row = n - 1
            let source = try model.forward(clean, capture: .all, logitRows: .positions([row]))
            let base = try model.forward(corrupted, capture: .all, logitRows: .positions([row]))
            for map in result.maps {
                let kind = try XCTUnwrap(map.kind)
                for l in 0..<arch.layers {
                    for j in 0..<map.shape[1] {
                        let point: HookPoint = .block(l, kind == .q ? .q : .k)
                        let src = try XCTUnwrap(source.cache[point])
                        let patchQK = Interventions(point) { _, a in
                            var out = a
                            let width = a.count / n
                            out.withUnsafeMutableBufferPointer { o in
                                for p in 0..<n { for c in (j * dh)..<((j + 1) * dh) { o[p * width + c] = src.storage[p * width + c] } }
                            }
                            return out
                        }
                        let patchedPattern = try XCTUnwrap(model.forward(corrupted, capture: .points([.block(l, .pattern)]),
                                                                         interventions: patchQK, logitRows: .positions([row]))
                                                            .cache[.block(l, .pattern)])
                        let basePattern = try XCTUnwrap(base.cache[.block(l, .pattern)])
                        let heads = kind == .q ? [j] : Array((j * group)..<((j + 1) * group))
                        func metric(_ e: Float) throws -> Double {
                            let move = Interventions(.block(l, .pattern)) { _, a in
                                var out = a
                                out.withUnsafeMutableBufferPointer { o in
                                    for h in heads { for i in (h * n * n)..<((h + 1) * n * n) {
                                        o[i] += e * (patchedPattern.storage[i] - basePattern.storage[i])
                                    } }
                                }
                                return out
                            }
                            let logits = try model.forward(corrupted, interventions: move, logitRows: .positions([row])).logits!.storage
                            return Double(logits[answer] - logits[wrong])
                        }
                        let e: Float = 1e-2
                        let d1 = (try metric(e) - metric(-e)) / Double(2 * e)
                        let d2 = (try metric(e / 2) - metric(-e / 2)) / Double(e)
                        let derivative = Float((4 * d2 - d1) / 3)
                        let estimate = try map.raw(at: [l, j]) - result.corruptedMetric
                        XCTAssertEqual(estimate, derivative, accuracy: 2e-3 * (1 + abs(derivative)),
                                       "\(name) \(kind) layer \(l) head \(j)")
                    }
                }
            }
        }
    }
}
