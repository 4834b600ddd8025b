import GlassboxTensor
import XCTest

/// Asserts |actual − expected| ≤ abs + rel·|expected| elementwise (NaN must match NaN, infinities
/// must match exactly). On failure prints the shape, the worst element's index, its two values and
/// the first values side by side.
func assertClose(_ actual: [Float], _ expected: [Float], abs absTol: Float, rel: Float = 0,
                 _ what: String = "", shape: [Int]? = nil, file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(what): \(actual.count) elements vs \(expected.count) expected", file: file, line: line)
        return
    }
    var worst = -1, worstExcess: Float = 0, worstDiff: Float = 0
    for i in 0..<actual.count {
        let a = actual[i], e = expected[i]
        let diff: Float
        if a.isNaN || e.isNaN {
            diff = (a.isNaN && e.isNaN) ? 0 : .infinity
        } else if a == e {
            diff = 0
        } else {
            diff = Swift.abs(a - e)
        }
        let excess = diff - (absTol + rel * Swift.abs(e))
        if excess > 0, worst < 0 || excess > worstExcess {
            worst = i
            worstExcess = excess
            worstDiff = diff
        }
    }
    guard worst >= 0 else { return }
    let head = (0..<min(6, actual.count)).map { "\(actual[$0]) vs \(expected[$0])" }.joined(separator: ", ")
    XCTFail("""
        \(what) shape \(shape ?? [actual.count]): |diff| \(worstDiff) at flat index \(worst) \
        (\(actual[worst]) vs expected \(expected[worst])) exceeds abs \(absTol) + rel \(rel); first: \(head)
        """, file: file, line: line)
}

func assertClose(_ actual: Tensor, _ expected: Tensor, abs absTol: Float, rel: Float = 0,
                 _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.shape, expected.shape, "\(what): shape", file: file, line: line)
    assertClose(actual.storage, expected.storage, abs: absTol, rel: rel, what, shape: actual.shape,
                file: file, line: line)
}
