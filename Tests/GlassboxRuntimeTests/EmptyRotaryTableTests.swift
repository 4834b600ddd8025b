import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Empty rotary tables beside a `rope_scaling` or without one, as transformers 4.53.3 builds them:
/// `dim = int(head_dim · share)` = 0 gives `torch.arange(0, 0, 2)` (no frequency) and
/// apply_rotary_pos_emb's `q[..., :0]` rotates nothing, so Glassbox builds no position embedding.
/// - Phi-3 without longrope at a share truncating to 0 (0.0, 0.05, −0.05) runs unrotated; −0.5 is a
///   negative dim (`torch.arange` fails at load: refused naming `partial_rotary_factor`); at share 0
///   with longrope, Phi3Config wants `rotary_ndims // 2` = 0 factors per list (its own 3: ValueError).
/// - GPT-NeoX with `head_dim` 0 under dynamic and longrope: both tables read the key as written
///   (`_compute_dynamic_ntk_parameters`, `_compute_longrope_parameters`), dim int(0 · rotary_pct) = 0;
///   longrope's lists then hold 0 factors or one (torch broadcasts it; 4 fail on a size mismatch at load).
/// - StableLM and Phi at share 0 under linear and dynamic scaling (`rotary_ndims` 0).
/// Reference: the `empty_table` section of config-head-dim/fields.json (generate_head_dim_fields.py:
/// the fixture's config with the case's edits written over it, its weights, one forward on ids 1, 2, 3),
/// logits within 1e-4. Before, Phi-3's three running shares and GPT-NeoX's two running head_dim 0
/// cases were refused (this test failed on that code: tried).
final class EmptyRotaryTableTests: XCTestCase {
    /// The key each refused case names: where transformers fails.
    private static let refusedKeys = ["phi3-longrope unscaled -0.5": "partial_rotary_factor",
                                      "phi3-longrope longrope 0.0": "rope_scaling.short_factor",
                                      "neox-rope-yarn longrope head_dim 0": "rope_scaling.short_factor"]

    func testEmptyTablesRunAsInTransformers() throws {
        let cases = try EditedConfigCases.section("empty_table")
        XCTAssertEqual(cases.count, 14)
        XCTAssertEqual(Set(cases.filter { $0.value["outcome"] as? String == "refused" }.keys), Set(Self.refusedKeys.keys))
        for (label, expected) in cases.sorted(by: { $0.key < $1.key }) {
            let folder = try EditedConfigCases.folder(for: expected, label: label, test: self)
            if let key = Self.refusedKeys[label] {
                EditedConfigCases.assertRefused(folder, naming: key, label: label, transformersError: expected["error"])
                continue
            }
            let loaded = try EditedConfigCases.assertRuns(folder, label: label, reference: EditedConfigCases.reference(expected, label: label))
            if let loaded { XCTAssertEqual(loaded.architecture.position, .none, label) }
        }
    }
    /// GPT-NeoX's refused `head_dim` 0 with four longrope factors says why in its one line: no
    /// rotated dimension, so no frequency for the factors (transformers' size mismatch at load).
    /// Before, the line only gave the counts (this test failed on that code: tried).
    func testNeoXHeadDimZeroLongRopeSaysWhy() throws {
        let expected = try XCTUnwrap(EditedConfigCases.section("empty_table")["neox-rope-yarn longrope head_dim 0"])
        XCTAssertEqual(expected["error"] as? String,
                       "RuntimeError: The size of tensor a (4) must match the size of tensor b (0) at non-singleton dimension 0")
        let folder = try EditedConfigCases.folder(for: expected, label: "neox-rope-yarn longrope head_dim 0", test: self)
        XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
            guard case LoadError.invalidConfig(_, let key, let detail)? = error as? LoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "rope_scaling.short_factor")
            XCTAssertEqual(detail, "must list 0 positive numbers (one per rotated frequency) or one for all, got 4 (head_dim 0 leaves int(0 · rotary_pct) = 0 rotated dimensions, an empty frequency table: transformers' ext_factors * base**inv_freq_shape fails on the size mismatch)")
            XCTAssertFalse("\(error)".contains("\n"), "one line")
        }
    }
}
