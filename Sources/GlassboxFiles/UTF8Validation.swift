/// Where UTF-8 text stops being valid: prompts and corpus files are refused at the first bad byte
/// rather than silently decoded with U+FFFD in its place.
public enum UTF8Validation {
    /// The offset of the first byte that does not start a valid UTF-8 sequence (an overlong form,
    /// a surrogate, a stray continuation byte, a sequence cut short), or `nil` when all of `bytes`
    /// is valid UTF-8. A sequence cut short at the very end counts as invalid.
    public static func firstInvalidOffset<C: Collection>(_ bytes: C) -> Int? where C.Element == UInt8 {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
