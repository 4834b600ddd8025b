import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// A NaN in the attention scores stays NaN in the pattern, as in PyTorch's softmax, so the
/// finiteness check reports it; a row whose keys are all masked still gives zeros on purpose.
final class NaNAttentionTests: XCTestCase {
    func testSoftmaxKeepsNaNAndZeroesFullyMaskedRows() {
        var x = Tensor(shape: [4, 3], storage: [.nan, -.infinity, -.infinity,     // NaN where the only visible key is
                                                -.infinity, -.infinity, -.infinity, // no key visible: zeros
                                                1, .nan, -.infinity,                // NaN beside a finite score
                                                0, 0, -.infinity])
        softmaxLastDim(&x)
        XCTAssertTrue(x.storage[0..<3].allSatisfy(\.isNaN), "\(x.storage[0..<3])")
        XCTAssertEqual(Array(x.storage[3..<6]), [0, 0, 0])
        XCTAssertTrue(x.storage[6..<9].allSatisfy(\.isNaN), "\(x.storage[6..<9])")
        XCTAssertEqual(Array(x.storage[9..<12]), [0.5, 0.5, 0])
    }

    func testNaNInQueryWeightReachesThePattern() throws {
        // One NaN in gpt2-tiny's c_attn weight (row 0, column 5: a query column of head 0).
        let folder = try Fixtures.editedCopy(of: "gpt2-tiny", test: self) { name, tensor in
            if name == "transformer.h.0.attn.c_attn.weight" { tensor.storage[5] = .nan }
        }
        let model = try TransformerModel.load(directory: folder, options: LoadOptions(allowNonFinite: true))
        let result = try model.forward([1, 2, 3], capture: .all)
        let pattern = try XCTUnwrap(result.cache[.block(0, .pattern)])       // [H, n, n]
        let n = 3
        XCTAssertTrue(pattern.storage[0..<(n * n)].allSatisfy(\.isNaN), "head 0's pattern: \(pattern.storage[0..<(n * n)])")
        let check = try FinitenessCheck.run(model, .tokens([1, 2, 3], types: nil))
        let hooks = check.findings.map(\.hook)
        XCTAssertEqual(hooks.first, "blocks.0.attn.hook_q")
        XCTAssertTrue(hooks.contains("blocks.0.attn.hook_pattern"), "\(hooks)")
        XCTAssertTrue(hooks.contains("blocks.0.attn.hook_z"), "\(hooks)")
    }

    func testBlockedAttentionKeepsNaNRows() {
        // q [n, 1, 2] with a NaN in query 1: its z row is NaN on the blocked path too; others finite.
        let n = 5
        var qs = (0..<(n * 2)).map { Float($0) * 0.1 }
        qs[2] = .nan
        let q = Tensor(shape: [n, 1, 2], storage: qs)
        let k = Tensor(shape: [n, 1, 2], storage: (0..<(n * 2)).map { Float($0 % 3) * 0.2 })
        let v = Tensor(shape: [n, 1, 2], storage: (0..<(n * 2)).map { Float($0) })
        let z = blockedAttention(q: q, k: k, v: v, scale: 1, mask: .causal, blockSize: 2, softCap: nil)
        XCTAssertTrue(z.storage[2..<4].allSatisfy(\.isNaN), "\(z.storage)")
        XCTAssertTrue(z.storage[0..<2].allSatisfy(\.isFinite) && z.storage[4...].allSatisfy(\.isFinite), "\(z.storage)")
    }
}
