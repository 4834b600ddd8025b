import Foundation
@testable import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Checkpointed sweeps (only layer inputs kept, each layer's activations recomputed from its input;
/// docs/methods.md §2.3 "Checkpointing") against sweeps over the stored activations: the same code
/// on the same inputs, so every relevance vector agrees to 1e-6 relative (in practice bitwise).
final class RelevanceCheckpointingTests: XCTestCase {
    static let families = ["gpt2-tiny", "llama-gqa", "mistral-swa", "bert-cls", "neox-parallel", "qwen3-qknorm", "vit-tiny",
                           "gemma2-softcap", "gemma3-text", "olmo2-postnorm",   // sandwich and branch-output blocks; Gemma 3: per-layer rotary tables
                           "smollm3-swa", "olmo-clip"]                          // NoPE layers, clip_qkv

    func testCheckpointedEqualsStored() throws {
        var (vectors, bitwise) = (0, 0)
        defer { print("checkpointed vs stored: \(bitwise) of \(vectors) relevance vectors bitwise equal") }
        for name in Self.families {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let input = try RelevanceBlockingTests.input(name)
            for method in RelevanceMethod.allCases {
                for attention in [AttentionPath.automatic, .unblocked] {
                    let stored = try RelevanceBlockingTests.vectors(model, input, RelevanceOptions(method: method, attention: attention,
                                                                                                   checkpointing: .off))
                    let checkpointed = try RelevanceBlockingTests.vectors(model, input, RelevanceOptions(method: method, attention: attention,
                                                                                                         checkpointing: .on))
                    XCTAssertEqual(checkpointed.map(\.0), stored.map(\.0), name)
                    for ((key, a), (_, b)) in zip(checkpointed, stored) {
                        vectors += 1
                        if a == b { bitwise += 1 }
                        XCTAssertLessThanOrEqual(RelevanceMetrics.compare(a, b).relative, 1e-6, "\(name) \(method) \(attention) \(key)")
                    }
                }
            }
        }
    }

    /// A checkpointed forward keeps, of the blocks, only their inputs and the last block's output.
    func testCheckpointedForwardKeepsOnlyLayerInputs() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("llama-gqa"))
        let arch = model.architecture
        let full = ReverseSweep.capture(arch, .attnLRP)
        let forward = try model.forward(try Fixtures.golden("llama-gqa", "full").inputIDs,
                                        capture: ReverseSweep.checkpointCapture(arch, full))
        let sites = forward.cache.entries.compactMap { entry -> String? in
            guard case .block(let l, let site) = entry.point else { return nil }
            return site == .residPre || (l == arch.layers - 1 && site == .residPost) ? nil : entry.point.name
        }
        XCTAssertEqual(sites, [])
        XCTAssertEqual(forward.cache.entries.filter { if case .block(_, .residPre) = $0.point { true } else { false } }.count, arch.layers)
    }

    /// The MLP backward in row chunks (as long inputs run it) equals the whole-matrix one.
    func testMLPRowChunksGiveTheSameRelevance() throws {
        for name in ["gpt2-tiny", "llama-gqa", "bert-cls"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let arch = model.architecture
            let ids = try Fixtures.golden(name, "full").inputIDs
            let position = arch.mask == .causal ? ids.count - 1 : 0
            for table in [RuleTable.attnLRP, .cpLRP, .gradientTimesInput] {
                var results: [[Float]] = []
                for chunk in [ids.count, 3] {
                    let forward = try model.forward(ids, capture: ReverseSweep.capture(arch, table), logitRows: .positions([position]))
                    var sweep = ReverseSweep(model: model, cache: forward.cache, table: table, length: ids.count)
                    sweep.mlpRowChunk = chunk
                    let (g, _) = try sweep.headBackward(.top(), position: position, forward: forward)
                    let tokens = try sweep.embeddingsBackward(try sweep.blocksBackward(g), input: .tokens(ids, types: nil)).tokens
                    results.append(tokens + sweep.neurons.storage + sweep.layers.storage)
                }
                XCTAssertLessThanOrEqual(RelevanceMetrics.compare(results[1], results[0]).relative, 1e-6, "\(name) \(table)")
            }
        }
    }

    /// Progress counts the forward pass and then each swept layer, checkpointed or not.
    func testProgressCountsTheForwardAndEachLayer() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("llama-gqa"))
        let layers = model.architecture.layers
        for checkpointing in [Checkpointing.off, .on] {
            let calls = ProgressCalls()
            var options = RelevanceOptions(checkpointing: checkpointing)
            options.progress = { done, total in calls.append(done, total) }
            _ = try Relevance.explain(model, .tokens(try Fixtures.golden("llama-gqa", "full").inputIDs, types: nil), options: options)
            XCTAssertEqual(calls.values.map(\.0), Array(1...(layers + 1)), "\(checkpointing)")
            XCTAssertEqual(Set(calls.values.map(\.1)), [layers + 1])
        }
        XCTAssertEqual(RelevanceOptions(), { var o = RelevanceOptions(); o.progress = { _, _ in }; return o }())
    }

    func testAutomaticFollowsTheStoredBudget() throws {
        // A quarter of the available memory, at most 4 GiB.
        XCTAssertEqual(Checkpointing.storedBudget(available: 8 << 30), 2 << 30)
        XCTAssertEqual(Checkpointing.storedBudget(available: 64 << 30), 4 << 30)
        XCTAssertEqual(Checkpointing.storedBudget(available: nil), 4 << 30)
        XCTAssertFalse(Checkpointing.automatic.isOn(storedBytes: 2 << 30, available: 8 << 30))
        XCTAssertTrue(Checkpointing.automatic.isOn(storedBytes: (2 << 30) + 1, available: 8 << 30))
        XCTAssertTrue(Checkpointing.on.isOn(storedBytes: 1, available: nil))
        XCTAssertFalse(Checkpointing.off.isOn(storedBytes: .max, available: 1))
        // Per position and layer d + 2·H·d_h + 2·H_kv·d_h + 2·d_ff floats for a gated MLP
        // (docs/methods.md §2.3); the kept patterns add 2·H·n².
        let arch = try TransformerModel.load(directory: Fixtures.model("llama-gqa")).architecture
        let perPosition = 4 * arch.layers * (arch.dModel + 2 * arch.heads * arch.headDim + 2 * arch.kvHeads * arch.headDim + 2 * arch.dFF)
        XCTAssertEqual(Checkpointing.storedBytes(arch, length: 10, patternsKept: false), 10 * perPosition)
        XCTAssertEqual(Checkpointing.storedBytes(arch, length: 10, patternsKept: true),
                       10 * perPosition + 4 * arch.layers * 2 * arch.heads * 100)
        XCTAssertEqual(Checkpointing.storedBytes(arch, length: 1 << 40, patternsKept: true), .max, "saturates")
    }
}

/// Progress calls, collected under a lock.
private final class ProgressCalls: @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [(Int, Int)] = []

    func append(_ done: Int, _ total: Int) { lock.withLock { calls.append((done, total)) } }

    var values: [(Int, Int)] { lock.withLock { calls } }
}
