import Foundation
import GlassboxTestSupport
import XCTest

/// Runs `glassbox` with `--model Tests/Fixtures/models/<model> --json --out <out>` after
/// `arguments`, asserts exit 0, and returns the JSON object it printed.
func runGlassboxJSON(_ arguments: [String], model: String, out: URL,
                     file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    let output = try runGlassbox(arguments + ["--model", "Tests/Fixtures/models/\(model)", "--json", "--out", out.path])
    XCTAssertEqual(output.status, 0, "\(model) \(arguments): \(output.stderr)", file: file, line: line)
    return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
                         "\(model) \(arguments)", file: file, line: line)
}

/// Asserts that a run exited 0 and returns the one JSON object it printed on stdout.
func jsonObject(_ output: CommandOutput, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    XCTAssertEqual(output.status, 0, output.stderr, file: file, line: line)
    return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
                         "stdout is not one JSON object: \(output.stdout)", file: file, line: line)
}

/// Every number anywhere in a JSON value (booleans excluded).
func jsonNumbers(_ value: Any) -> [Double] {
    switch value {
    case is Bool: []
    case let n as NSNumber: [n.doubleValue]
    case let a as [Any]: a.flatMap(jsonNumbers)
    case let o as [String: Any]: o.values.flatMap(jsonNumbers)
    default: []
    }
}

/// The object holds numbers, and all of them are finite.
func assertFiniteJSON(_ object: [String: Any], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
    let values = jsonNumbers(object)
    XCTAssertFalse(values.isEmpty, label, file: file, line: line)
    XCTAssertTrue(values.allSatisfy(\.isFinite), "\(label): non-finite value", file: file, line: line)
}
