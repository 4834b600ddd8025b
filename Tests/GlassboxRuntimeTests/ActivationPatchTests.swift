import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `ActivationPatch` items of the suffix engine against a plain forward with the same values
/// spliced in by interventions, on every fixture family (ViT included): items with several patches
/// at several layers and sites, several rows, any start layer, and several (unsorted) logit rows,
/// each within 1e-5 of the logits' scale; and the engine's checks on bad patches.
final class ActivationPatchTests: XCTestCase {
    func testPatchedItemsEqualThePlainForwardWithInterventions() throws {
        for name in BatchedSuffixTests.families {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let arch = model.architecture
            let (input, rows, n) = BatchedSuffixTests.input(model, seed: 3)
            let base = try model.suffixBase(input, logitRows: rows, keepResiduals: true)
            var rng = SplitMix64(seed: 19)
            let last = arch.layers - 1
            func patch(_ layer: Int, _ site: ActivationPatch.Site, _ positions: [Int], _ columns: Range<Int>? = nil) -> ActivationPatch {
                let width = site.width(arch)
                let c = columns ?? 0..<width
                return ActivationPatch(layer: layer, site: site, positions: positions, columns: c,
                                       values: rng.tensor([positions.count, c.count]))
            }
            let dh = arch.headDim
            let itemPatches: [[ActivationPatch]] = [
                [patch(0, .residPre, [n - 1])],
                [patch(last, .residPre, [2, n - 3])],
                [patch(0, .attnOut, [n / 2]), patch(last, .mlpOut, [n - 1])],
                [patch(last, .z, Array(1..<n), ((arch.heads - 1) * dh)..<(arch.heads * dh))],
                [patch(0, .q, [n - 2, n - 1], 0..<dh), patch(last, .k, Array(3..<n), 0..<dh)],
                [patch(last, .v, [4, 5], ((arch.kvHeads - 1) * dh)..<(arch.kvHeads * dh)), patch(last, .q, [n - 1])],
            ]
            let items = itemPatches.map { SuffixItem(patches: $0) }
            let out = try model.forwardSuffixes(base: base, items: items, options: SuffixOptions(rowBudget: 3 * n))
            for (i, (patches, logits)) in zip(itemPatches, out).enumerated() {
                var interventions = Interventions()
                for p in patches { interventions.add(.block(p.layer, p.site.blockSite)) { _, a in p.splice(into: a) } }
                let plain = try model.forward(input, interventions: interventions, logitRows: .positions(base.logitRows)).logits!
                assertClose(logits, plain, tolerance: BatchedSuffixTests.tolerance(plain), "\(name) item \(i)")
            }
        }
    }

    func testBadPatchesAreTypedErrors() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let ids = [1, 2, 3, 4, 5]
        let base = try model.suffixBase(.tokens(ids, types: nil), logitRows: [4])
        let d = model.architecture.dModel
        let patch = ActivationPatch(layer: 1, site: .residPre, positions: [2], columns: 0..<d, values: .zeros([1, d]))
        XCTAssertThrowsError(try model.forwardSuffixes(base: base, items: [SuffixItem(patches: [patch])])) {
            XCTAssertEqual($0 as? SuffixError, .residualsNotKept(item: 0))
        }
        let kept = try model.suffixBase(.tokens(ids, types: nil), logitRows: [4], keepResiduals: true)
        let wide = ActivationPatch(layer: 0, site: .residPre, positions: [2], columns: 0..<(d + 1), values: .zeros([1, d + 1]))
        XCTAssertThrowsError(try model.forwardSuffixes(base: kept, items: [SuffixItem(patches: [wide])])) { error in
            XCTAssertTrue(error.localizedDescription.contains("columns 0..<\(d + 1) are outside"), error.localizedDescription)
        }
        let early = SuffixItem(start: 3, edit: nil, startLayer: 0, patches: [patch])
        XCTAssertThrowsError(try model.forwardSuffixes(base: kept, items: [early])) { error in
            XCTAssertTrue(error.localizedDescription.contains("positions must be ascending within 3..<5"), error.localizedDescription)
        }
    }
}
