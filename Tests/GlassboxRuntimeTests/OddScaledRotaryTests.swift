import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Odd rotated widths `dim = int(head_dim · share)` under each table, as transformers 4.53.3 builds
/// them: the table holds `ceil(dim / 2)` frequencies and rotates `dim + 1` lanes (``RotaryWidth``).
/// - Phi-3 without rope_scaling at dim 1, 3, 5, 7 runs (before: refused, this test failed: tried).
/// - Phi-3 with longrope: Phi3Config wants `dim // 2` factors; torch broadcasts none (dim 1: an empty
///   table, nothing rotates) or one (dim 3) against the frequencies and fails at dim 5 (refused naming
///   `rope_scaling.short_factor`, saying why).
/// - GPT-NeoX under dynamic NTK (the odd `dim` in the base's exponent) and longrope with
///   `ceil(dim / 2)` factors runs; longrope with `dim // 2` fails on the size mismatch (refused).
/// - YaRN: the ramp has `dim // 2` entries: dim 5 fails in transformers; dim 3 runs there (the ramp
///   broadcast) but Glassbox refuses it (not built), naming `rotary_pct`.
/// Reference: the `odd_scaled` section of config-head-dim/fields.json (generate_head_dim_fields.py: the
/// fixture's config with the case's edits written over it, its weights, one forward on ids 1, 2, 3),
/// logits within 1e-4.
final class OddScaledRotaryTests: XCTestCase {
    /// The key each refused case names; `runsInTransformers` marks the one Glassbox refuses although
    /// transformers runs it.
    private static let refusedKeys = ["phi3-longrope longrope 0.5": "rope_scaling.short_factor",
                                      "neox-parallel yarn 0.5": "rotary_pct",
                                      "neox-parallel yarn 0.3": "rotary_pct",
                                      "neox-parallel longrope-floor 0.5": "rope_scaling.short_factor"]
    private static let runsInTransformers: Set = ["neox-parallel yarn 0.3"]

    func testOddWidthsUnderEveryTable() throws {
        let cases = try EditedConfigCases.section("odd_scaled")
        XCTAssertEqual(cases.count, 13)
        XCTAssertEqual(Set(cases.filter { $0.value["outcome"] as? String == "refused" }.keys),
                       Set(Self.refusedKeys.keys).subtracting(Self.runsInTransformers))
        for (label, expected) in cases.sorted(by: { $0.key < $1.key }) {
            let folder = try EditedConfigCases.folder(for: expected, label: label, test: self)
            if let key = Self.refusedKeys[label] {
                if let detail = EditedConfigCases.assertRefused(folder, naming: key, label: label, transformersError: expected["error"]) {
                    XCTAssertTrue(detail.contains("size mismatch") || detail.contains("one per rotated frequency"), "\(label) says why: \(detail)")
                }
                continue
            }
            let loaded = try EditedConfigCases.assertRuns(folder, label: label, reference: EditedConfigCases.reference(expected, label: label))
            if label == "phi3-longrope longrope 0.1", let loaded { XCTAssertEqual(loaded.architecture.position, .none, label) }
        }
    }
}
