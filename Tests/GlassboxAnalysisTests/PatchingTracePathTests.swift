import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Causal tracing and path patching.
/// - Tracing: the batched engine equals the hook path (noised forward passes with the restored states
///   spliced in at their hooks) within 1e-5 on GPT-2, Llama and BERT, windows of 1 and 3; restoring
///   every layer's residual at a position before the noise changes nothing; restoring the last
///   layer's output at the read position gives the clean probability exactly.
/// - Path patching: with the final residual as receiver, a last-layer sender's path effect is that
///   head's direct effect, i.e. noising activation patching of its `z` (computed by the batched engine).
final class PatchingTracePathTests: XCTestCase {
    func testTracingBatchedEqualsTheHookPath() throws {
        for name in ["gpt2-tiny", "llama-gqa", "bert-tiny-mlm"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let (clean, _, _, _) = try PatchingHookPathTests.problem(model)
            for window in [1, 3] {
                var options = CausalTracing.Options(noiseSpan: 2..<4)
                options.samples = 2
                options.window = window
                options.seed = 7
                let batched = try CausalTracing.run(model, ids: clean, options: options)
                options.engine = .hooks
                let hooks = try CausalTracing.run(model, ids: clean, options: options)
                XCTAssertEqual(batched.corruptedProb, hooks.corruptedProb, accuracy: 1e-6, name)
                XCTAssertLessThan(batched.corruptedProb, batched.cleanProb + 1, name)
                for (b, h) in zip(batched.maps, hooks.maps) {
                    let worst = zip(b.raw, h.raw).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThanOrEqual(worst, 1e-5, "\(name) window \(window) \(b.site): batched vs hooks")
                }
                let resid = batched.maps[0]
                let n = clean.count, last = model.architecture.layers - 1
                XCTAssertEqual(try resid.raw(at: [last, n - 1]), batched.cleanProb, accuracy: 1e-5,
                               "\(name): restoring the last layer's output at the read position is the clean run")
                if model.architecture.mask == .causal {
                    for l in 0...last {
                        XCTAssertEqual(try resid.raw(at: [l, 0]), batched.corruptedProb, accuracy: 1e-6, "\(name): before the noise")
                    }
                }
                XCTAssertGreaterThan(abs(batched.cleanProb - batched.corruptedProb), 1e-4, "\(name): the noise matters")
            }
        }
    }

    func testTracingRejectsBadSpans() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        XCTAssertThrowsError(try CausalTracing.run(model, ids: [1, 2, 3], options: CausalTracing.Options(noiseSpan: 2..<5))) { error in
            XCTAssertTrue(error.localizedDescription.contains("noise span 2:5"), error.localizedDescription)
        }
    }

    func testPathToTheResidualFromALastLayerHeadIsItsDirectEffect() throws {
        for name in ["gpt2-tiny", "llama-gqa", "bert-tiny-mlm"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let (clean, corrupted, answer, wrong) = try PatchingHookPathTests.problem(model)
            var options = PatchingOptions(metric: .logitDiff(answer: answer, wrong: wrong))
            options.direction = .noise
            options.sites = [.z]
            let exact = try ActivationPatching.run(model, clean: clean, corrupted: corrupted, options: options)
            let z = try XCTUnwrap(exact.map(.z))
            let last = model.architecture.layers - 1
            for h in 0..<model.architecture.heads {
                let path = try PathPatching.run(model, clean: clean, corrupted: corrupted,
                                                senders: [PathPatching.Head(layer: last, head: h)], receivers: [.residual],
                                                options: options)
                XCTAssertEqual(try XCTUnwrap(path.patched), try z.raw(at: [last, h]), accuracy: 1e-4, "\(name) head \(h)")
                XCTAssertEqual(try XCTUnwrap(path.effect), try z.effect(at: [last, h]), accuracy: 1e-3, "\(name) head \(h)")
            }
            // Every head as sender to layer-1 queries: heads in layers ≥ 1 have no path (effect 0).
            let map = try XCTUnwrap(PathPatching.run(model, clean: clean, corrupted: corrupted, senders: nil,
                                                     receivers: [.head(layer: 1, head: 0, input: .q)], options: options).map)
            XCTAssertEqual(map.shape, [model.architecture.layers, model.architecture.heads])
            for h in 0..<model.architecture.heads { XCTAssertEqual(try map.effect(at: [1, h]), 0, name) }
            XCTAssertGreaterThan(try (0..<model.architecture.heads).map { abs(try map.effect(at: [0, $0])) }.max() ?? 0, 1e-4,
                                 "\(name): some layer-0 head reaches the layer-1 queries")
        }
    }
}
