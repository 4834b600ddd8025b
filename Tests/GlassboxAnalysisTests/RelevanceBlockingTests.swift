import Foundation
@testable import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// The blocked attention backward (query row blocks against their visible keys, patterns kept or
/// recomputed) against one whole-matrix block, on causal, sliding-window and bidirectional models.
final class RelevanceBlockingTests: XCTestCase {
    func testRowBlocksGiveTheSameRelevance() throws {
        for name in ["gpt2-tiny", "mistral-swa", "qwen2-swa", "bert-tiny-mlm", "llama-gqa"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let arch = model.architecture
            let ids = try Fixtures.golden(name, "full").inputIDs
            let n = ids.count
            let position = arch.mask == .causal ? n - 1 : 0
            for table in [RuleTable.attnLRP, .cpLRP, .gradientTimesInput] {
                var results: [[Float]] = []
                for (keep, block) in [(true, n), (true, 3), (false, 3), (false, 5)] {
                    let forward = try model.forward(ids, capture: ReverseSweep.capture(arch, table, length: keep ? n : .max),
                                                    logitRows: .positions([position]))
                    XCTAssertEqual(forward.cache[.block(0, .pattern)] != nil, keep)
                    var sweep = ReverseSweep(model: model, cache: forward.cache, table: table, length: n)
                    sweep.rowBlock = block
                    let (g, _) = try sweep.headBackward(.top(), position: position, forward: forward)
                    let gEmbed = try sweep.blocksBackward(g)
                    results.append(try sweep.embeddingsBackward(gEmbed, input: .tokens(ids, types: nil)).tokens + sweep.heads.storage)
                }
                for other in results.dropFirst() {
                    XCTAssertLessThanOrEqual(RelevanceMetrics.compare(other, results[0]).relative, 1e-5, "\(name) \(table)")
                }
            }
        }
    }
}
