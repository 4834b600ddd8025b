extension JSONString {
    /// Where the first string of the JSON text `bytes` that a strict reader refuses is (a lone
    /// surrogate escape, a bad escape, a raw control character), as "at line L, column C: what";
    /// nil when every string is fine. For messages about text Foundation's parser refused.
    public static func firstProblem(in bytes: [UInt8]) -> String? {
        var lexer = JSONLexer(bytes)
        while true {
            let token = lexer.next()
            switch token.kind {
            case .end: return nil
            case .string where !token.plain:
                do {
                    _ = try decode(token, in: bytes, loneSurrogates: .refuse)
                } catch {
                    let place = JSONLexer.lineColumn(of: error.offset, in: bytes)
                    return "at line \(place.line), column \(place.column): \(error.message)"
                }
            default: continue
            }
        }
    }
}
