import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Phi-3 specifics beyond the golden comparison (GoldenTests checks every hook point of
/// phi3-longrope against transformers at 1e-4, on inputs shorter and longer than LongRoPE's
/// original length): the fused projections' split, LongRoPE's short and long factors, and typed
/// config errors.
final class Phi3Tests: XCTestCase {
    private func model() throws -> TransformerModel {
        try TransformerModel.load(directory: Fixtures.model("phi3-longrope"))
    }

    func testArchitectureAndHookNames() throws {
        let m = try model()
        let arch = m.architecture
        XCTAssertEqual(arch.modelType, "phi3")
        XCTAssertEqual([arch.heads, arch.kvHeads, arch.headDim, arch.dFF], [3, 1, 10, 26])
        XCTAssertEqual(arch.slidingWindows, [5, 5])
        guard case .rotary(let rope) = arch.position, case .longrope(let short, let long, 8, let factor) = rope.scaling else {
            return XCTFail("expected LongRoPE, got \(arch.position)")
        }
        XCTAssertEqual(rope.dimensions, 6)   // partial_rotary_factor 0.6 of 10
        XCTAssertEqual(short, [1, 1.5, 2.5])
        XCTAssertEqual(long, [1.2, 3, 7.5])
        XCTAssertEqual(Double(factor), (1 + log(4.0) / log(8.0)).squareRoot(), accuracy: 1e-6)
        // Short factors up to the original length, long ones past it.
        let base = rope.inverseFrequencies(length: 8).enumerated().map { $1 * short[$0] }
        let longer = rope.inverseFrequencies(length: 9).enumerated().map { $1 * long[$0] }
        for (a, b) in zip(base, longer) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let names = m.hookPoints.map(\.name).filter { $0.hasPrefix("blocks.0.") }
        XCTAssertTrue(names.contains("blocks.0.mlp.hook_pre_linear"))
        XCTAssertFalse(names.contains { $0.contains("q_norm") || $0.contains("router") })
        let r = try m.forward([1, 50, 7, 9], capture: .all)
        XCTAssertEqual(r.cache[.block(1, .q)]?.shape, [4, 3, 10])
        XCTAssertEqual(r.cache[.block(1, .k)]?.shape, [4, 1, 10])
        XCTAssertEqual(r.cache[.block(1, .mlpPreLinear)]?.shape, [4, 26])
    }

    func testFusedProjectionsAreSplitByRows() throws {
        // q, k, v are the rows of qkv_proj in that order; gate and up the halves of gate_up_proj.
        let m = try model()
        let a = m.weights.blocks[0].attention, mlp = m.weights.blocks[0].mlp
        XCTAssertEqual([a.query.outFeatures, a.key.outFeatures, a.value.outFeatures], [30, 10, 10])
        XCTAssertEqual([mlp.input.outFeatures, mlp.up?.outFeatures], [26, 26])
        XCTAssertNotEqual(mlp.input.weightFloat32.storage, mlp.up?.weightFloat32.storage)
    }

    func testConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "phi3", "rope_scaling": {"type": "dynamic", "factor": 2.0}}"#, "type 'dynamic' is not supported for phi3"),
            (#"{"model_type": "phi3", "hidden_size": 30, "num_attention_heads": 3, "rope_scaling": {"type": "longrope", "short_factor": [1, 2], "long_factor": [1, 2, 3, 4, 5]}}"#, "short_factor"),
            (#"{"model_type": "phi3", "hidden_size": 30, "num_attention_heads": 3, "rope_scaling": {"type": "longrope", "short_factor": [1, 2, 3, 4, 5], "long_factor": [1, 2, 3, 4, -5]}}"#, "long_factor"),
            // (share 0.5 of 10-wide heads, an odd dim 5, runs in transformers: OddScaledRotaryTests.)
            (#"{"model_type": "phi3", "hidden_size": 30, "num_attention_heads": 3, "partial_rotary_factor": 1.5}"#, "partial_rotary_factor"),
            (#"{"model_type": "phi3", "num_attention_heads": 8, "num_key_value_heads": 3}"#, "num_key_value_heads"),
            (#"{"model_type": "phi3", "sliding_window": 0}"#, "sliding_window"),
            (#"{"model_type": "phi3", "partial_rotary_factor": null}"#, "'partial_rotary_factor' is null; transformers cannot multiply"),   // TypeError there
        ]
        for (json, fragment) in cases {
            let folder = try temporaryModel(config: json)
            XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
                guard case LoadError.invalidConfig = error else { return XCTFail("\(fragment): \(error)") }
                XCTAssertTrue(error.localizedDescription.contains(fragment), "\(fragment) not in \(error.localizedDescription)")
            }
        }
    }

    func testSeparateProjectionsAreNotAccepted() throws {
        // llama-gqa's weights (q_proj, k_proj, …) under a phi3 config: the fused tensor is named.
        let config = try String(contentsOf: Fixtures.model("llama-gqa").appendingPathComponent("config.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"llama\"", with: "\"phi3\"")
        let folder = try temporaryModel(config: config, weightsFrom: "llama-gqa")
        XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
            XCTAssertTrue(error.localizedDescription.contains("qkv_proj"), error.localizedDescription)
        }
    }

    private func temporaryModel(config: String, weightsFrom source: String = "phi3-longrope") throws -> URL {
        return try Fixtures.folder(config: config, weights: Fixtures.weights(source), test: self, label: "phi3")
    }
}
