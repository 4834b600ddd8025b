import Foundation
import Glassbox

/// Where and why a result file's text is not JSON that Glassbox reads: a string that is
/// unterminated, holds an invalid escape, a raw control character or a lone surrogate escape, or
/// bytes that are not UTF-8. Found after the decoder failed, so the user reads one line with a
/// line and column instead of Foundation's internal error text.
struct InvalidJSONText: Error, LocalizedError {
    /// 1-based line and column (in bytes) of the offending byte.
    let line: Int, column: Int
    /// What is wrong, as a phrase ("a lone surrogate escape in a string").
    let problem: String

    var errorDescription: String? { "invalid JSON at line \(line), column \(column): \(problem)" }

    /// The first such problem in `data`; nil when its strings and encoding are valid (then the
    /// decoder's own error says what is wrong).
    static func find(in data: Data) -> InvalidJSONText? {
        let bytes = [UInt8](data)
        let found: (offset: Int, message: String)
        if let offset = UTF8Validation.firstInvalidOffset(bytes) {
            found = (offset, "bytes that are not UTF-8")
        } else if let problem = JSONString.firstProblem(in: bytes) {
            found = (problem.offset, problem.message)
        } else {
            return nil
        }
        let (line, column) = JSONLexer.lineColumn(of: found.offset, in: bytes)
        return InvalidJSONText(line: line, column: column, problem: found.message)
    }
}
