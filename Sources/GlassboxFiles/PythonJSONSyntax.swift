/// Python's strictness as one rule over ``JSONLexer``'s tokens: what Python's `json.loads` (so
/// `transformers`) refuses but a lenient reader accepts. Foundation reads a trailing comma
/// (`[1, 2,]`, `{"a": 1,}`) as if it were not there; Python stops with "Expecting value" or
/// "Expecting property name". Comments (`// …`, `/* … */`) are refused by both, but by Foundation
/// with a message that does not say why. Every JSON file Python reads is held to this rule, and
/// a refusal is one line naming the file and line:column
/// (``InputFileError/pythonRefuses(path:line:column:problem:)``).
public enum PythonJSONSyntax {
    /// A construct Python's `json` refuses, and where it starts.
    public struct Refusal: Equatable, Sendable {
        /// The byte offset of the trailing comma or of the comment's first slash.
        public let offset: Int
        /// What it is: `"trailing comma"` or `"comment"`.
        public let problem: String
    }

    /// The rule, fed the tokens of a text in order (so a reader that already walks the tokens
    /// checks it in the same pass).
    public struct Rule: Sendable {
        private var previous: JSONToken?

        /// A rule at the start of a text.
        public init() {}

        /// The refusal `token` makes, given the tokens before it; nil when it is fine.
        public mutating func check(_ token: JSONToken) -> Refusal? {
            defer { previous = token }
            if token.kind == .comment { return Refusal(offset: token.range.lowerBound, problem: "comment") }
            if let previous, previous.kind == .comma, token.kind == .endArray || token.kind == .endObject {
                return Refusal(offset: previous.range.lowerBound, problem: "trailing comma")
            }
            return nil
        }
    }

    /// The first refusal in `bytes`, or nil (one pass).
    public static func firstRefusal(_ bytes: [UInt8]) -> Refusal? {
        var lexer = JSONLexer(bytes)
        var rule = Rule()
        while case let token = lexer.next(), token.kind != .end {
            if let refusal = rule.check(token) { return refusal }
        }
        return nil
    }

    /// The error for `refusal` in the file at `path` whose text is `bytes` (line and column
    /// counted there).
    public static func error(_ refusal: Refusal, path: String, in bytes: [UInt8]) -> InputFileError {
        let (line, column) = JSONLexer.lineColumn(of: refusal.offset, in: bytes)
        return .pythonRefuses(path: path, line: line, column: column, problem: refusal.problem)
    }
}
