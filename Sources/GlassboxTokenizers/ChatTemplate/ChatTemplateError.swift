import Foundation

/// A chat template that cannot be read, parsed or rendered: one line naming where the template
/// came from (`origin`, e.g. `…/tokenizer_config.json: chat_template`), the place in the template
/// (1-based line and column, `nil` when the problem is not at one place) and what went wrong.
public struct ChatTemplateError: Error, LocalizedError, Equatable, Sendable {
    /// Where the template text came from (file and key), as shown to the user.
    public var origin: String
    /// 1-based line of the construct in the template text, if the problem is at one place.
    public var line: Int?
    /// 1-based column (in Unicode scalars) of the construct, if the problem is at one place.
    public var column: Int?
    /// What went wrong, e.g. `no filter named 'foo'`.
    public var detail: String

    /// `origin`: `line L, column C: detail` on one line.
    public var errorDescription: String? {
        let place = line.map { "line \($0), column \(column ?? 1): " } ?? ""
        return "\(origin): \(place)\(detail)"
    }
}

/// An error raised while parsing or rendering, placed at a scalar offset of the template source;
/// ``ChatTemplate`` turns it into a ``ChatTemplateError`` with line and column.
struct TemplateFailure: Error {
    /// Offset in Unicode scalars of the construct in the (newline-normalized) template source.
    let offset: Int
    /// What went wrong.
    let detail: String
}
