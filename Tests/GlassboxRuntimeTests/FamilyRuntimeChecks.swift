import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Checks that several model families' runtime tests run alike (Phi, GPT-J, GPT-Neo, Falcon, OPT and,
/// for the block sum, GPT-NeoX). Failures are reported at the caller's line.

/// Every block's output is its input plus both branches' outputs: |resid_pre + attn_out + mlp_out
/// − resid_post| < 1e-5 at every position and width of every layer of `r` (a forward captured with
/// `.all`), labelled "`name` layer l".
func assertBlockOutputsAddBothBranches(_ r: ForwardResult, layers: Int, _ name: String,
                                       file: StaticString = #filePath, line: UInt = #line) {
    for l in 0..<layers {
        let pre = r.cache[.block(l, .residPre)]!, attn = r.cache[.block(l, .attnOut)]!
        let mlp = r.cache[.block(l, .mlpOut)]!, post = r.cache[.block(l, .residPost)]!
        var worst: Float = 0
        for i in 0..<post.count { worst = max(worst, abs(pre.storage[i] + attn.storage[i] + mlp.storage[i] - post.storage[i])) }
        XCTAssertLessThan(worst, 1e-5, "\(name) layer \(l)", file: file, line: line)
    }
}

/// Both branches read one LayerNorm of the block input: on `ids`, ln2's hooks (normalized and
/// scale) hold ln1's values bitwise in every layer of `m`, and each block's output is resid_pre +
/// attn_out + mlp_out (assertBlockOutputsAddBothBranches).
func assertOneLayerNormFeedsBothBranches(_ m: TransformerModel, ids: [Int], _ name: String,
                                         file: StaticString = #filePath, line: UInt = #line) throws {
    let r = try m.forward(ids, capture: .all)
    for l in 0..<m.architecture.layers {
        XCTAssertEqual(r.cache[.block(l, .ln2(.normalized))]!.storage, r.cache[.block(l, .ln1(.normalized))]!.storage,
                       "\(name) layer \(l)", file: file, line: line)
        XCTAssertEqual(r.cache[.block(l, .ln2(.scale))]!.storage, r.cache[.block(l, .ln1(.scale))]!.storage,
                       "\(name) layer \(l)", file: file, line: line)
    }
    assertBlockOutputsAddBothBranches(r, layers: m.architecture.layers, name, file: file, line: line)
}

/// Each config (JSON text) in `cases`, written by `folder` beside a model's weights, fails to load
/// with `LoadError.invalidConfig`, and the message holds the case's fragment and names config.json.
func assertInvalidConfigs(_ cases: [(String, String)], folder: (String) throws -> URL,
                          file: StaticString = #filePath, line: UInt = #line) {
    for (json, fragment) in cases {
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(json)), file: file, line: line) { error in
            guard case LoadError.invalidConfig = error else { return XCTFail("\(fragment): \(error)", file: file, line: line) }
            XCTAssertTrue(error.localizedDescription.contains(fragment), "\(fragment) not in \(error.localizedDescription)",
                          file: file, line: line)
            XCTAssertTrue(error.localizedDescription.contains("config.json"), error.localizedDescription, file: file, line: line)
        }
    }
}

/// Every golden case of fixture `name` (token ids, no token types) through `m` with every hook
/// captured: the hook list in the golden's order, and every hook within 1e-4 of it, labelled
/// "`name`/case hook". Prints and returns the largest |Δ| over every hook of every case.
@discardableResult
func assertEveryHookMatchesGoldens(_ m: TransformerModel, _ name: String,
                                   file: StaticString = #filePath, line: UInt = #line) throws -> Float {
    var worst: Float = 0
    for (caseName, goldenFile) in try Fixtures.goldenCases(name) {
        let golden = try Golden(url: goldenFile)
        let r = try m.forward(.tokens(golden.inputIDs, types: nil), capture: .all)
        XCTAssertEqual(r.cache.order.map(\.name), golden.hookOrder, "\(name)/\(caseName)", file: file, line: line)
        for hook in golden.hookOrder {
            let ours = try XCTUnwrap(r.cache[hook], "\(name)/\(caseName) \(hook)", file: file, line: line)
            let expected = try golden.tensor(hook)
            assertClose(ours, expected, tolerance: 1e-4, "\(name)/\(caseName) \(hook)", file: file, line: line)
            if ours.shape == expected.shape { worst = max(worst, maxAbsDifference(ours, expected).0) }
        }
    }
    print("\(name): max |Δ| over every hook and case \(worst)")
    return worst
}
