/// GPT-2's byte ↔ printable-character table (`bytes_to_unicode` in the reference): printable
/// Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onwards (space → `Ġ`, newline → `Ċ`).
public enum ByteLevel {
    /// `characters[b]` is the character standing for byte `b`.
    public static let characters: [Unicode.Scalar] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var chars = printable
        var next = 0
        for b in 0..<256 where !printable.contains(b) {
            printable.append(b)
            chars.append(256 + next)
            next += 1
        }
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        for (b, c) in zip(printable, chars) { table[b] = Unicode.Scalar(UInt32(c)) ?? " " }
        return table
    }()

    /// `bytes[c]` for characters below U+0144: the byte `c` stands for, or -1.
    private static let bytes: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (b, c) in characters.enumerated() { table[Int(c.value)] = Int16(b) }
        return table
    }()

    /// The byte a character stands for, `nil` if it is not in the table.
    @inline(__always)
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        guard scalar.value < 0x144 else { return nil }
        let b = bytes[Int(scalar.value)]
        return b < 0 ? nil : UInt8(b)
    }

    /// Replaces every character by the stand-ins of its UTF-8 bytes, all aligned with it (the
    /// transformation of the ByteLevel pre-tokenizer and normalizer).
    static func mapBytes(of string: inout NormalizedString) {
        if string.scalars.allSatisfy({ $0.value < 0x80 }) {
            string.map { characters[Int($0.value)] }
            return
        }
        string.expand { s, out in
            var utf8: [UInt8] = []
            UTF8Decoding.append(s, to: &utf8)
            for b in utf8 { out.append(characters[Int(b)]) }
        }
    }
}
