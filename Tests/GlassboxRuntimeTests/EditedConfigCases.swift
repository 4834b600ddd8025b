import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The checks shared by the tests that replay config-head-dim/fields.json's edited-config sections
/// (`empty_table`, `odd_scaled`, `negative_share`; generate_head_dim_fields.py: a fixture's config with
/// a case's edits written over it, its weights, one forward on ids 1, 2, 3).
enum EditedConfigCases {
    /// The cases of `section`, by label, as generate_head_dim_fields.py wrote them.
    static func section(_ section: String) throws -> [String: [String: Any]] {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/config-head-dim/fields.json")
        let file = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(file[section] as? [String: [String: Any]], section)
    }

    /// A linked copy of `model`'s folder whose config.json has `edits` written over it.
    static func folder(_ model: String, edits: [String: Any], test: XCTestCase) throws -> URL {
        try Fixtures.linkedCopy(of: model, test: test, replacing: "config.json") { data in
            var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            config.merge(edits) { $1 }
            return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        }
    }

    /// The copy of one case's (`model`, `edits`) entry.
    static func folder(for expected: [String: Any], label: String, test: XCTestCase) throws -> URL {
        try folder(try XCTUnwrap(expected["model"] as? String, label),
                   edits: try XCTUnwrap(expected["edits"] as? [String: Any], label), test: test)
    }

    /// Checks that loading `folder` is refused as `invalidConfig` naming `key` (where transformers
    /// failed with `transformersError`); returns the refusal's detail, nil when it was not refused so.
    @discardableResult
    static func assertRefused(_ folder: URL, naming key: String, label: String, transformersError: Any?) -> String? {
        var detail: String?
        XCTAssertThrowsError(try TransformerModel.load(directory: folder), label) { error in
            guard case LoadError.invalidConfig(_, let named, let said)? = error as? LoadError else {
                return XCTFail("\(label): \(error)")
            }
            XCTAssertEqual(named, key, "\(label): \(said) (transformers: \(transformersError ?? ""))")
            detail = said
        }
        return detail
    }

    /// Loads `folder` and checks its output (`fixtureOutput`) within 1e-4 of `reference`, the
    /// transformers run's; returns the model, nil when it was refused (a failure).
    @discardableResult
    static func assertRuns(_ folder: URL, label: String, reference: [Float]) throws -> TransformerModel? {
        let loaded: TransformerModel
        do { loaded = try TransformerModel.load(directory: folder) } catch {
            XCTFail("\(label): refused where transformers runs: \(error)")
            return nil
        }
        let output = try fixtureOutput(loaded)
        XCTAssertEqual(output.count, reference.count, label)
        let delta = zip(output, reference).map { abs($0 - $1) }.max() ?? .nan
        XCTAssertLessThanOrEqual(delta, 1e-4, label)
        print(String(format: "%@: max |Δ| %.1e", label, Double(delta)))
        return loaded
    }

    /// A case's recorded output (`output`, flattened logits).
    static func reference(_ expected: [String: Any], label: String) throws -> [Float] {
        try XCTUnwrap(expected["output"] as? [NSNumber], label).map(\.floatValue)
    }
}
