/// One token of JSON text: what it is and where.
public struct JSONToken: Equatable, Sendable {
    /// What a token is.
    public enum Kind: Equatable, Sendable {
        /// `{`, `}`, `[`, `]`, `,`, `:`.
        case beginObject, endObject, beginArray, endArray, comma, colon
        /// A string, quotes included in the range (``JSONString`` reads its value).
        case string
        /// A string with no closing quote: the range runs to the end of the text.
        case unterminatedString
        /// A number as RFC 8259 spells it (`-1.5e3`; not `01`, `1.`, `+1`).
        case number
        /// `true`, `false`, `null`.
        case trueLiteral, falseLiteral, null
        /// Python's non-finite literals `NaN`, `Infinity`, `-Infinity` (not JSON; Python reads them).
        case nan, infinity, negativeInfinity
        /// Any other run of bytes up to a delimiter (`tru`, `01`, `undefined`, a lone `/`).
        case word
        /// A `// …` (to the end of the line) or `/* … */` comment (not JSON; Python refuses it).
        case comment
        /// The end of the text.
        case end
    }

    /// What the token is.
    public let kind: Kind
    /// Its bytes in the text.
    public let range: Range<Int>
    /// For a string: true when it holds no backslash and no raw control character, so its bytes
    /// between the quotes are its value (no ``JSONString`` work needed).
    public let plain: Bool

    /// A token of `kind` at `range`.
    public init(kind: Kind, range: Range<Int>, plain: Bool = true) {
        self.kind = kind
        self.range = range
        self.plain = plain
    }

    /// Whether the token is a value on its own (not punctuation, a comment or the end).
    public var isScalarValue: Bool {
        switch kind {
        case .string, .number, .trueLiteral, .falseLiteral, .null, .nan, .infinity, .negativeInfinity: true
        default: false
        }
    }
}
