/// The encoding checks Python's `json` makes on a file `transformers` or `tokenizers` reads: the
/// text must be plain UTF-8. A UTF-8 byte-order mark, UTF-16 or UTF-32 text and invalid UTF-8 are
/// refused there ("Unexpected UTF-8 BOM", "is not a valid JSON file"), so they are refused here
/// too, before any parser could read such a file differently (Foundation accepts all of them, and
/// behind a byte-order mark kept a repeated key's first value).
public enum PythonJSONEncoding {
    /// Why `bytes` is not plain UTF-8 text ("starts with a UTF-8 byte-order mark; …"), or nil when
    /// it is. The phrase completes a sentence that begins with the file's name.
    public static func problem<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8 {
        let head = Array(bytes.prefix(4))
        func starts(_ prefix: [UInt8]) -> Bool { head.starts(with: prefix) }
        let advice = "transformers cannot read it either: save it as plain UTF-8"
        if starts([0xEF, 0xBB, 0xBF]) { return "starts with a UTF-8 byte-order mark; \(advice)" }
        if starts([0x00, 0x00, 0xFE, 0xFF]) || starts([0xFF, 0xFE, 0x00, 0x00])
            || (head.count == 4 && (head[0...2] == [0, 0, 0] || head[1...3] == [0, 0, 0])) {
            return "is UTF-32 text, not UTF-8; \(advice)"
        }
        if starts([0xFE, 0xFF]) || starts([0xFF, 0xFE]) || (head.count >= 2 && (head[0] == 0) != (head[1] == 0)) {
            return "is UTF-16 text, not UTF-8; \(advice)"
        }
        if let offset = UTF8Validation.firstInvalidOffset(bytes) {
            return "is not valid UTF-8 (byte offset \(offset)); \(advice)"
        }
        return nil
    }
}
