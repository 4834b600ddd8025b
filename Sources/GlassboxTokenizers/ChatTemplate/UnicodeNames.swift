import Foundation

/// Python's `\N{NAME}` lookup for string literals: a character's Unicode name or any of its name
/// aliases, matched case-insensitively (`\N{bullet}` is U+2022, `\N{LF}` and `\N{line feed}` U+000A). The table is built on first use
/// (only templates with a `\N{` escape pay for it, about 50,000 names); CJK ideographs' names, which
/// end in their code point (`CJK UNIFIED IDEOGRAPH-4E2D`), are decoded from it instead. Python's
/// `unicodedata` does not know the Tangut, Khitan and Nüshu names built the same way, and neither
/// does this. Every alias (control, abbreviation, alternate, figment and correction: `NULL`, `LF`,
/// `BOM`, `ZWJ`) comes from ``aliases``, generated from Python 3.11 (Unicode 14.0): Swift's own
/// correction aliases are of a later Unicode, with ten that Python 3.11 does not know.
enum UnicodeNames {
    /// The character named `name`, `nil` if no character has that name or alias.
    static func lookup(_ name: String) -> Unicode.Scalar? {
        let upper = name.uppercased()
        if let scalar = fromCodePoint(upper) { return scalar }
        return table[upper] ?? aliases[upper].flatMap(Unicode.Scalar.init)
    }

    /// The CJK ideograph of a name `CJK … IDEOGRAPH-XXXX` (4 to 6 hex digits) whose own name is exactly that.
    private static func fromCodePoint(_ name: String) -> Unicode.Scalar? {
        guard name.hasPrefix("CJK UNIFIED IDEOGRAPH-") || name.hasPrefix("CJK COMPATIBILITY IDEOGRAPH-"),
              let dash = name.lastIndex(of: "-") else { return nil }
        let digits = name[name.index(after: dash)...]
        guard (4...6).contains(digits.count), let v = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(v),
              scalar.properties.name == name else { return nil }
        return scalar
    }

    /// Blocks whose names are all `PREFIX-XXXX`, left out of the table: CJK ideographs
    /// (``fromCodePoint(_:)`` finds them), Tangut, Khitan and Nüshu (unknown to Python).
    private static let codePointNamed: [ClosedRange<UInt32>] = [
        0x3400...0x4DBF, 0x4E00...0x9FFF, 0x17000...0x187FF, 0x18D00...0x18D7F, 0x1B170...0x1B2FF,
    ]

    /// Name → character, for planes 0, 1 and 14 (planes 2 and 3 hold only
    /// CJK ideographs; the others are unassigned or private use, which have no names).
    private static let table: [String: Unicode.Scalar] = {
        var names: [String: Unicode.Scalar] = [:]
        for range: ClosedRange<UInt32> in [0...0xFFFF, 0x10000...0x1FFFF, 0xE0000...0xEFFFF] {
            for v in range where !codePointNamed.contains(where: { $0.contains(v) }) {
                guard let scalar = Unicode.Scalar(v) else { continue }
                if let name = scalar.properties.name { names[name] = scalar }
            }
        }
        return names
    }()
}
