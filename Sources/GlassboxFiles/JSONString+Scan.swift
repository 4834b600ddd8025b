extension JSONString {
    /// The first string of `text` (a key or a value) that is not valid — unterminated, with an
    /// invalid escape, a raw control character or a lone surrogate escape (`"\ud800"`, which a
    /// Swift string cannot hold) — as a ``Problem``; nil when every string is valid. One pass over
    /// ``JSONLexer``'s tokens: readers call it after their decoder failed, to say where and why.
    public static func firstProblem(in text: [UInt8]) -> Problem? {
        var lexer = JSONLexer(text)
        while case let token = lexer.next(), token.kind != .end {
            switch token.kind {
            case .unterminatedString: return Problem(offset: token.range.lowerBound, message: "an unterminated string")
            case .string where !token.plain:
                do { _ = try decode(token, in: text, loneSurrogates: .refuse) } catch { return error }
            default: continue
            }
        }
        return nil
    }
}

extension JSONString.Problem {
    /// "at line L, column C: what" for this problem in `text` (1-based, columns in bytes).
    public func place(in text: [UInt8]) -> String {
        let (line, column) = JSONLexer.lineColumn(of: offset, in: text)
        return "at line \(line), column \(column): \(message)"
    }
}
