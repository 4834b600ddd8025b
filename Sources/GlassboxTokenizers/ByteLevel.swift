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
        for (b, c) in zip(printable, chars) { table[b] = Unicode.Scalar(UInt32(c))! }
        return table
    }()

    private static let bytes: [Unicode.Scalar: UInt8] = {
        var map: [Unicode.Scalar: UInt8] = [:]
        for (b, c) in characters.enumerated() { map[c] = UInt8(b) }
        return map
    }()

    /// The byte a character stands for, `nil` if it is not in the table.
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? { bytes[scalar] }
}
