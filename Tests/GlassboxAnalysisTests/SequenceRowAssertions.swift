import XCTest

extension XCTestCase {
    /// Checks a row `[n]` of a sequence attribution against the single-step explanation of its
    /// prefix (`position` scores): nil at and after `position`, a score before it, and every score
    /// within `relative` of the single step's largest |score| plus `floor`; a failure prints the
    /// worst source and both values.
    func assertRow(_ row: [Float?], equals single: [Float], position: Int, _ message: String, floor: Float = 1e-7,
                   relative: Float = SequenceAttributionTests.relative,
                   file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(single.count, position, "\(message): the single-step explanation covers positions 0..<\(position)", file: file, line: line)
        XCTAssertTrue(row[position...].allSatisfy { $0 == nil }, "\(message): sources at or after the target must be nil", file: file, line: line)
        let defined = row[0..<position].compactMap { $0 }
        XCTAssertEqual(defined.count, position, "\(message): every earlier source has a score", file: file, line: line)
        let scale = single.map(abs).max() ?? 0
        XCTAssertGreaterThan(scale, 0, "\(message): an all-zero row would prove nothing", file: file, line: line)
        var worst: (diff: Float, index: Int) = (0, -1)
        for (j, (a, b)) in zip(defined, single).enumerated() where abs(a - b) > worst.diff { worst = (abs(a - b), j) }
        XCTAssertLessThanOrEqual(worst.diff, relative * scale + floor,
                                 "\(message): max |diff| \(worst.diff) at source \(worst.index) (row max \(scale)); sequence \(worst.index >= 0 ? defined[worst.index] : 0) vs single \(worst.index >= 0 ? single[worst.index] : 0)",
                                 file: file, line: line)
    }
}
