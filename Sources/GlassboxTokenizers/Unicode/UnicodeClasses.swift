/// Character classes exactly as the Rust `tokenizers` library and its regex engines see them.
///
/// The reference mixes Unicode versions: Oniguruma (its regexes), the `regex` crate and Rust's
/// standard library use Unicode 16.0; `unicode_categories` (BERT) is 8.0 and
/// `unicode-normalization-alignments` is 9.0. Swift's own tables are newer, so classes built from
/// Swift properties ignore characters assigned after the version in question; the old BERT
/// classes come from `ReferenceUnicodeTables`, measured on the library itself. A table of flags
/// for the Basic Multilingual Plane makes the common lookups one load.
enum UnicodeClasses {
    struct Flags: OptionSet, Sendable {
        let rawValue: UInt16
        /// `\p{L}` (Oniguruma, Unicode 16).
        static let letter = Flags(rawValue: 1 << 0)
        /// `\p{N}` (Oniguruma), and Rust's `char::is_numeric` (Unicode 16).
        static let number = Flags(rawValue: 1 << 1)
        /// White_Space: `\s` (Oniguruma and `regex`) and Rust's `char::is_whitespace`.
        static let whitespace = Flags(rawValue: 1 << 2)
        /// `\w` in Oniguruma: Alphabetic, marks, Nd, Pc (and six Latin-1 numbers).
        static let onigWord = Flags(rawValue: 1 << 3)
        /// `\w` in the `regex` crate: Alphabetic, marks, Nd, Pc, Join_Control.
        static let regexWord = Flags(rawValue: 1 << 4)
        /// `\d`: decimal digits (Nd).
        static let digit = Flags(rawValue: 1 << 5)
        static let bertPunctuation = Flags(rawValue: 1 << 6)
        static let bertRemoved = Flags(rawValue: 1 << 7)
        static let bertNonspacing = Flags(rawValue: 1 << 8)
        static let combiningMark = Flags(rawValue: 1 << 9)
        /// BERT's "Chinese character" ranges (CJK ideographs).
        static let chinese = Flags(rawValue: 1 << 10)
    }

    /// Flags of every BMP scalar, built once.
    private static let bmp: [UInt16] = (0..<0x10000).map { v in
        guard let s = Unicode.Scalar(UInt32(v)) else { return 0 }
        return computeFlags(s).rawValue
    }

    @inline(__always)
    static func flags(_ s: Unicode.Scalar) -> Flags {
        s.value < 0x10000 ? Flags(rawValue: bmp[Int(s.value)]) : computeFlags(s)
    }

    @inline(__always) static func isLetter(_ s: Unicode.Scalar) -> Bool { flags(s).contains(.letter) }
    @inline(__always) static func isNumber(_ s: Unicode.Scalar) -> Bool { flags(s).contains(.number) }
    @inline(__always) static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x80 ? (s.value == 0x20 || (0x09...0x0D).contains(s.value)) : flags(s).contains(.whitespace)
    }

    /// Whether `s` was assigned in Unicode `major.minor` or earlier.
    static func assigned(_ s: Unicode.Scalar, byVersion major: Int, _ minor: Int) -> Bool {
        guard let age = s.properties.age else { return false }
        return (age.major, age.minor) <= (major, minor)
    }

    /// The general category as of Unicode 16 (`nil` for characters assigned later).
    static func category16(_ s: Unicode.Scalar) -> Unicode.GeneralCategory? {
        assigned(s, byVersion: 16, 0) ? s.properties.generalCategory : nil
    }

    private static func contains(_ table: [ClosedRange<UInt32>], _ v: UInt32) -> Bool {
        var lo = 0, hi = table.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if table[mid].upperBound < v { lo = mid + 1 } else { hi = mid }
        }
        return lo < table.count && table[lo].contains(v)
    }

    private static func computeFlags(_ s: Unicode.Scalar) -> Flags {
        var f: Flags = []
        let v = s.value
        let p = s.properties
        if p.isWhitespace { f.insert(.whitespace) }
        if let gc = category16(s) {
            switch gc {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
                f.insert(.letter)
            case .decimalNumber:
                f.formUnion([.number, .digit])
            case .letterNumber, .otherNumber:
                f.insert(.number)
            default: break
            }
            let mark = gc == .nonspacingMark || gc == .spacingMark || gc == .enclosingMark
            let word = p.isAlphabetic || mark || gc == .decimalNumber || gc == .connectorPunctuation
            if word || [0xB2, 0xB3, 0xB9, 0xBC, 0xBD, 0xBE].contains(v) { f.insert(.onigWord) }
            if word || p.isJoinControl { f.insert(.regexWord) }
        }
        if contains(ReferenceUnicodeTables.bertPunctuation, v) { f.insert(.bertPunctuation) }
        if contains(ReferenceUnicodeTables.bertRemoved, v) { f.insert(.bertRemoved) }
        if contains(ReferenceUnicodeTables.bertNonspacing, v) { f.insert(.bertNonspacing) }
        if contains(ReferenceUnicodeTables.combiningMark, v) { f.insert(.combiningMark) }
        switch v {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            f.insert(.chinese)
        default: break
        }
        return f
    }

    /// Rust's `char::to_lowercase` (Unicode 16): the full, context-free lowercase mapping.
    static func appendLowercase(_ s: Unicode.Scalar, to out: inout [Unicode.Scalar]) {
        if s.value < 0x80 {
            out.append((0x41...0x5A).contains(s.value) ? Unicode.Scalar(UInt8(s.value + 32)) : s)
            return
        }
        let p = s.properties
        guard p.changesWhenLowercased, assigned(s, byVersion: 16, 0) else { out.append(s); return }
        out.append(contentsOf: p.lowercaseMapping.unicodeScalars)
    }
}
