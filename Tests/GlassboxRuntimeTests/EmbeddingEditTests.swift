import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Input-embedding replacement in the batched suffix engine equals a plain forward whose
/// `hook_embed` intervention replaces the same rows, on every fixture family with a head (1e-5
/// relative to the logits' scale), and bad edits are typed errors.
final class EmbeddingEditTests: XCTestCase {
    func testReplacedRowsEqualAHookEmbedIntervention() throws {
        for name in BatchedSuffixTests.families {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let (input, rows, n) = BatchedSuffixTests.input(model, seed: 13)
            let base = try model.suffixBase(input, logitRows: rows)
            // hook_embed's width: the token table's, narrower than d where an embedding projection follows (ELECTRA, ALBERT).
            let d = try XCTUnwrap(try model.forward(input, capture: .all).cache[.embed], name).shape[1]
            var rng = SplitMix64(seed: 21)
            let sets: [[Int]] = [[n - 1], [1], [2, n / 2], Array(1..<n), [0, 3]]
            let edits = sets.map { EmbeddingEdit(positions: $0, rows: rng.tensor([$0.count, d])) }
            let out = try model.forwardSuffixes(base: base, items: edits.map { SuffixItem(embedding: $0) })
            for (edit, logits) in zip(edits, out) {
                let intervention = Interventions(.embed) { _, embed in
                    var e = embed
                    for (i, p) in edit.positions.enumerated() { for j in 0..<d { e[p, j] = edit.rows[i, j] } }
                    return e
                }
                let plain = try model.forward(input, interventions: intervention, logitRows: .positions(base.logitRows)).logits!
                assertClose(logits, plain, tolerance: BatchedSuffixTests.tolerance(plain), "\(name) rows \(edit.positions)")
            }
        }
    }

    func testBadEditsAreTypedErrors() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-odd"))
        let base = try model.suffixBase(.tokens([1, 2, 3, 4], types: nil), logitRows: [3])
        let d = model.architecture.dModel
        XCTAssertThrowsError(try model.forwardSuffixes(base: base, items: [SuffixItem(start: 0, embedding: EmbeddingEdit(positions: [4], row: .init(repeating: 0, count: d)))])) {
            XCTAssertEqual($0 as? SuffixError, .embeddingOutOfRange(item: 0, position: 4, length: 4))
        }
        XCTAssertThrowsError(try model.forwardSuffixes(base: base, items: [SuffixItem(start: 2, embedding: EmbeddingEdit(positions: [1], row: .init(repeating: 0, count: d)))])) {
            XCTAssertEqual($0 as? SuffixError, .startAfterReplacedRow(item: 0, start: 2, position: 1))
        }
        XCTAssertThrowsError(try model.forwardSuffixes(base: base, items: [SuffixItem(embedding: EmbeddingEdit(positions: [1], row: [0, 1]))])) {
            XCTAssertEqual($0 as? SuffixError, .embeddingOutOfRange(item: 0, position: -1, length: 4))
        }
    }
}
