import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `hook_q` / `hook_k` are the projections before the rotary embedding and `hook_rot_q` /
/// `hook_rot_k` the rotated ones, as in TransformerLens (docs/methods.md §0.5); both pairs can be
/// captured and edited. The values themselves are checked against `transformers` (GoldenTests) and
/// TransformerLens (TransformerLensTests).
final class RotaryHookTests: XCTestCase {
    private let ids = [1, 7, 3, 11, 5, 9]

    func testRotaryHooksExistOnlyInRotaryModels() throws {
        for name in ["llama-gqa", "mistral-swa", "qwen2-swa"] {
            let m = try Fixtures.load(name)
            let names = m.hookPoints.map(\.name)
            for l in 0..<m.architecture.layers {
                let q = try XCTUnwrap(names.firstIndex(of: "blocks.\(l).attn.hook_q"), name)
                XCTAssertEqual(Array(names[q..<(q + 6)]), ["q", "k", "v", "rot_q", "rot_k", "attn_scores"].map { "blocks.\(l).attn.hook_\($0)" }, name)
            }
            XCTAssertEqual(m.architecture.scoredQuery, .rotQ)
            XCTAssertEqual(m.architecture.scoredKey, .rotK)
        }
        for name in ["gpt2-tiny", "bert-cls", "vit-tiny"] {
            let m = try Fixtures.load(name)
            XCTAssertFalse(m.hookPoints.contains { $0.name.contains("hook_rot_") }, "\(name) has no rotary embedding")
            XCTAssertEqual(m.architecture.scoredQuery, .q)
            XCTAssertEqual(m.architecture.scoredKey, .k)
        }
        XCTAssertEqual(HookPoint(name: "blocks.1.attn.hook_rot_q"), .block(1, .rotQ))
        XCTAssertEqual(HookPoint(name: "blocks.0.attn.hook_rot_k"), .block(0, .rotK))
        XCTAssertEqual(HookPoint.block(2, .rotK).name, "blocks.2.attn.hook_rot_k")
    }

    /// Position 0 is not rotated (angle 0), every later one is; the norms per head are kept.
    func testRotatedPointsAreTheRotationOfTheUnrotatedOnes() throws {
        let m = try Fixtures.load("llama-gqa")
        let r = try m.forward(ids, capture: .points([.block(0, .q), .block(0, .k), .block(0, .rotQ), .block(0, .rotK)]))
        for (plain, rotated) in [(BlockSite.q, BlockSite.rotQ), (.k, .rotK)] {
            let a = try XCTUnwrap(r.cache[.block(0, plain)]), b = try XCTUnwrap(r.cache[.block(0, rotated)])
            XCTAssertEqual(a.shape, b.shape)
            let (heads, dh) = (a.shape[1], a.shape[2])
            XCTAssertEqual(Array(a.storage.prefix(heads * dh)), Array(b.storage.prefix(heads * dh)), "position 0")
            XCTAssertNotEqual(Array(a.storage.suffix(heads * dh)), Array(b.storage.suffix(heads * dh)), "last position")
            for i in 0..<ids.count { for h in 0..<heads {
                let na = (0..<dh).reduce(Float(0)) { $0 + a[i, h, $1] * a[i, h, $1] }
                let nb = (0..<dh).reduce(Float(0)) { $0 + b[i, h, $1] * b[i, h, $1] }
                XCTAssertEqual(na, nb, accuracy: 1e-4 * max(1, na), "\(plain) row \(i) head \(h): a rotation keeps the norm")
            } }
        }
    }

    /// An edit at `hook_q` happens before the rotation (it is rotated with the rest): doubling the
    /// unrotated queries doubles the rotated ones and every visible score.
    func testInterventionAtHookQActsBeforeTheRotation() throws {
        let m = try Fixtures.load("llama-gqa")
        let points: [HookPoint] = [.block(0, .q), .block(0, .rotQ), .block(0, .attnScores)]
        let plain = try m.forward(ids, capture: .points(points))
        let doubled = try m.forward(ids, capture: .points(points), interventions: Interventions(.block(0, .q)) { _, q in
            var x = q
            for i in 0..<x.count { x.storage[i] *= 2 }
            return x
        })
        for site in [BlockSite.q, .rotQ] {
            var expected = try XCTUnwrap(plain.cache[.block(0, site)])
            for i in 0..<expected.count { expected.storage[i] *= 2 }
            assertClose(try XCTUnwrap(doubled.cache[.block(0, site)]), expected, tolerance: 1e-5, "2 × \(site)")
        }
        let s0 = try XCTUnwrap(plain.cache[.block(0, .attnScores)]), s1 = try XCTUnwrap(doubled.cache[.block(0, .attnScores)])
        for i in 0..<s0.count where s0.storage[i].isFinite {
            XCTAssertEqual(s1.storage[i], 2 * s0.storage[i], accuracy: 1e-5)
        }
        XCTAssertNotEqual(plain.logits!.storage, doubled.logits!.storage, "the edit reaches the logits")
    }

    /// An edit at `hook_rot_q` / `hook_rot_k` happens after the rotation: replacing the rotated
    /// points by the unrotated ones removes positions from the scores, which then equal the
    /// unrotated `scale·q·kᵀ` (and `hook_q`, `hook_k` stay as they were).
    func testInterventionAtHookRotQActsAfterTheRotation() throws {
        let m = try Fixtures.load("llama-gqa")
        let arch = m.architecture
        let plain = try m.forward(ids, capture: .points([.block(1, .q), .block(1, .k)]))
        let (q, k) = (try XCTUnwrap(plain.cache[.block(1, .q)]), try XCTUnwrap(plain.cache[.block(1, .k)]))
        var undo = Interventions()
        undo.add(.block(1, .rotQ)) { _, _ in q }
        undo.add(.block(1, .rotK)) { _, _ in k }
        let edited = try m.forward(ids, capture: .points([.block(1, .q), .block(1, .k), .block(1, .attnScores)]), interventions: undo)
        XCTAssertEqual(edited.cache[.block(1, .q)]?.storage, q.storage, "hook_q fires before the edit")
        XCTAssertEqual(edited.cache[.block(1, .k)]?.storage, k.storage)
        let scores = try XCTUnwrap(edited.cache[.block(1, .attnScores)])                        // [H, n, n]
        let (n, H, dh, group) = (ids.count, arch.heads, arch.headDim, arch.heads / arch.kvHeads)
        let scale = arch.attentionScale(layer: 1)
        for h in 0..<H { for i in 0..<n { for j in 0..<n {
            if j > i { XCTAssertEqual(scores[h, i, j], -.infinity); continue }
            let dot = (0..<dh).reduce(Float(0)) { $0 + q[i, h, $1] * k[j, h / group, $1] }
            XCTAssertEqual(scores[h, i, j], scale * dot, accuracy: 1e-5, "head \(h) [\(i), \(j)]")
        } } }
    }

    /// The same edit through either pair gives the same forward pass: rotating an edited `hook_q`
    /// equals editing `hook_rot_q` with the rotated edit (here: zeroing head 2 of the queries).
    func testZeroingAHeadAtEitherPointIsTheSame() throws {
        let m = try Fixtures.load("llama-gqa")
        let zeroHead2: Intervention = { _, t in
            var x = t
            for i in 0..<t.shape[0] { for j in 0..<t.shape[2] { x[i, 2, j] = 0 } }
            return x
        }
        let before = try m.forward(ids, capture: .points([.block(0, .pattern)]), interventions: Interventions(.block(0, .q), zeroHead2))
        let after = try m.forward(ids, capture: .points([.block(0, .pattern)]), interventions: Interventions(.block(0, .rotQ), zeroHead2))
        assertClose(after.logits!, before.logits!, tolerance: 1e-6, "logits")
        let pattern = try XCTUnwrap(after.cache[.block(0, .pattern)])
        for i in 0..<ids.count { for j in 0...i { XCTAssertEqual(pattern[2, i, j], 1 / Float(i + 1), accuracy: 1e-6) } }
    }
}
