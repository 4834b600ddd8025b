import Foundation
import Glassbox
import XCTest

/// A readable account of how two tensors differ: shape, max |Δ| and where, first values side by side.
public func diffReport(_ actual: Tensor, _ expected: Tensor, label: String) -> String {
    guard actual.shape == expected.shape else {
        return "\(label): shape \(actual.shape) ≠ expected \(expected.shape)"
    }
    let (maxDiff, index) = maxAbsDifference(actual, expected)
    let at = expected.count > 0 ? expected.multiIndex(ofFlat: index) : []
    let firsts = (0..<min(6, expected.count)).map {
        String(format: "%.6g/%.6g", Double(actual.storage[$0]), Double(expected.storage[$0]))
    }.joined(separator: "  ")
    let there = expected.count > 0
        ? String(format: " (actual %.6g, expected %.6g)", Double(actual.storage[index]), Double(expected.storage[index]))
        : ""
    return "\(label): shape \(expected.shape), max |Δ| \(maxDiff) at \(at)\(there); first actual/expected: \(firsts)"
}

/// Fails with a diff report unless `max |actual − expected| ≤ tolerance` (equal infinities match).
public func assertClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float, _ label: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape else {
        XCTFail(diffReport(actual, expected, label: label), file: file, line: line)
        return
    }
    let (maxDiff, _) = maxAbsDifference(actual, expected)
    if !(maxDiff <= tolerance) {
        XCTFail(diffReport(actual, expected, label: label) + " > tolerance \(tolerance)", file: file, line: line)
    }
}
