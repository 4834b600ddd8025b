/// Message text made safe for a terminal: control characters from input files (a NUL, which
/// would end the C string `fputs` writes; ESC and BEL, which would drive the terminal; CR and
/// newline, which would start a fake line) are shown as `\u{1B}`-style escapes instead.
enum InertText {
    /// `text` with C0 controls (U+0000–U+001F), DEL (U+007F) and C1 controls (U+0080–U+009F)
    /// written as `\u{HEX}`; with `keepsNewlines`, `\n` stays (for notes of several lines).
    static func escaped(_ text: String, keepsNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0) && !(keepsNewlines && $0 == "\n") }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar), !(keepsNewlines && scalar == "\n") {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value <= 0x9F)
    }
}
