import Foundation

/// Tokenizer spellings turned into the text they stand for, and text made visible for labels.
public enum TokenText {
    /// How a tokenizer marks spaces, newlines and bytes in its token strings.
    public enum Markers: Sendable {
        /// GPT-2/RoBERTa byte-level BPE: every byte is a printable character (`Ġ` = space,
        /// `Ċ` = newline, `ĉ` = tab, `âĢĻ` = "’"); tokens are decoded back to UTF-8.
        case byteLevel
        /// SentencePiece: `▁` = space, byte-fallback tokens `<0x0A>` = the byte.
        case sentencePiece
        /// WordPiece (BERT): `##` continues a word; other tokens after the first start one.
        case wordPiece
        /// Guess from the tokens: byte-level if any has `Ġ`/`Ċ`, SentencePiece if any has `▁`
        /// or is a `<0xNN>` byte, WordPiece if any starts with `##`; otherwise unchanged.
        case automatic
    }

    /// The display text of each token: spaces and newlines as the characters they stand for.
    /// Bytes that are not valid UTF-8 on their own (half of a multi-byte character split across
    /// tokens) are shown as `<0xNN>`.
    public static func display(_ tokens: [String], markers: Markers = .automatic) -> [String] {
        switch resolve(markers, tokens) {
        case .byteLevel: return tokens.map(decodeByteLevel)
        case .sentencePiece: return tokens.map(decodeSentencePiece)
        case .wordPiece:
            return tokens.enumerated().map { i, t in
                if t.hasPrefix("##") { return String(t.dropFirst(2)) }
                return i == 0 || isSpecial(t) || isSpecial(tokens[i - 1]) ? t : " " + t
            }
        case .automatic: return tokens
        }
    }

    /// One token's display text (byte-level, SentencePiece or WordPiece continuation markers).
    public static func display(_ token: String, markers: Markers = .automatic) -> String {
        if case .wordPiece = resolve(markers, [token]) { return token.hasPrefix("##") ? String(token.dropFirst(2)) : token }
        return display([token], markers: markers)[0]
    }

    /// Text made visible on one line for labels: newline `↵`, tab `⇥`, carriage return `␍`,
    /// other control characters as `<0xNN>`, the invisible bidirectional controls (marks,
    /// embeddings, overrides, isolates: they would reorder the text around them) as `<U+NNNN>`;
    /// an all-space token as `␣` repeated.
    public static func visible(_ text: String) -> String {
        if !text.isEmpty, text.allSatisfy({ $0 == " " }) { return String(repeating: "␣", count: text.count) }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "↵"
            case "\t": out += "⇥"
            case "\r": out += "␍"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
                out += String(format: "<0x%02X>", scalar.value)
            case "\u{061C}", "\u{200E}", "\u{200F}", "\u{202A}"..."\u{202E}", "\u{2066}"..."\u{2069}":
                out += String(format: "<U+%04X>", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A one-line label for an axis or column: `visible` without the spaces at either end (they
    /// would only misalign a column of labels); an all-space token stays `␣`.
    public static func label(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return visible(trimmed.isEmpty ? text : trimmed)
    }

    // MARK: - Decoders

    private static func resolve(_ markers: Markers, _ tokens: [String]) -> Markers {
        guard case .automatic = markers else { return markers }
        if tokens.contains(where: { $0.contains("Ġ") || $0.contains("Ċ") }) { return .byteLevel }
        if tokens.contains(where: { $0.contains("▁") || byteToken($0) != nil }) { return .sentencePiece }
        if tokens.contains(where: { $0.hasPrefix("##") && $0.count > 2 }) { return .wordPiece }
        return .automatic
    }

    private static func isSpecial(_ t: String) -> Bool { t.hasPrefix("[") && t.hasSuffix("]") || t.hasPrefix("<") && t.hasSuffix(">") }

    /// GPT-2's `bytes_to_unicode` inverted: printable bytes map to themselves, the other 68
    /// bytes (0–32, 127–160, 173) to U+0100 onwards in order.
    private static let byteOfCharacter: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        var next: UInt32 = 256
        for b in 0...255 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                map[UInt32(b)] = UInt8(b)
            } else {
                map[next] = UInt8(b)
                next += 1
            }
        }
        return map
    }()

    static func decodeByteLevel(_ token: String) -> String {
        var bytes: [UInt8] = []
        for scalar in token.unicodeScalars {
            guard let b = byteOfCharacter[scalar.value] else {   // not byte-level text: only swap the markers
                return token.replacingOccurrences(of: "Ġ", with: " ").replacingOccurrences(of: "Ċ", with: "\n")
                    .replacingOccurrences(of: "ĉ", with: "\t")
            }
            bytes.append(b)
        }
        return decodeUTF8(bytes)
    }

    static func decodeSentencePiece(_ token: String) -> String {
        if let b = byteToken(token) { return decodeUTF8([b]) }
        return token.replacingOccurrences(of: "▁", with: " ")
    }

    private static func byteToken(_ t: String) -> UInt8? {
        guard t.count == 6, t.hasPrefix("<0x"), t.hasSuffix(">") else { return nil }
        return UInt8(t.dropFirst(3).prefix(2), radix: 16)
    }

    /// UTF-8 text, with each byte of an invalid or incomplete sequence shown as `<0xNN>`.
    static func decodeUTF8(_ bytes: [UInt8]) -> String {
        var out = "", i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length = b < 0x80 ? 1 : b >> 5 == 0b110 ? 2 : b >> 4 == 0b1110 ? 3 : b >> 3 == 0b11110 ? 4 : 0
            if length > 0, i + length <= bytes.count,
               let s = String(validating: bytes[i..<(i + length)], as: UTF8.self) {
                out += s
                i += length
            } else {
                out += String(format: "<0x%02X>", b)
                i += 1
            }
        }
        return out
    }
}
