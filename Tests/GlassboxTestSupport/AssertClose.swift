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

/// A seeded generator (SplitMix64) so property tests are reproducible.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A tensor of uniform values in `range`.
    public mutating func tensor(_ shape: [Int], in range: ClosedRange<Float> = -1...1) -> Tensor {
        Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in Float.random(in: range, using: &self) })
    }
}
