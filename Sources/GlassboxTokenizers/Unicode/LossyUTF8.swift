/// UTF-8 decoding that replaces each maximal invalid subsequence with U+FFFD, as Rust's
/// `String::from_utf8_lossy` does (the Unicode "best practice").
enum LossyUTF8 {
    static func decode(_ bytes: [UInt8]) -> String {
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        var out = String.UnicodeScalarView()
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { out.append(Unicode.Scalar(b)); i += 1; continue }
            let (count, low, high): (Int, UInt8, UInt8)
            switch b {
            case 0xC2...0xDF: (count, low, high) = (1, 0x80, 0xBF)
            case 0xE0: (count, low, high) = (2, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (count, low, high) = (2, 0x80, 0xBF)
            case 0xED: (count, low, high) = (2, 0x80, 0x9F)
            case 0xF0: (count, low, high) = (3, 0x90, 0xBF)
            case 0xF1...0xF3: (count, low, high) = (3, 0x80, 0xBF)
            case 0xF4: (count, low, high) = (3, 0x80, 0x8F)
            default: out.append("\u{FFFD}"); i += 1; continue
            }
            var k = 1
            var value = UInt32(b) & (count == 1 ? 0x1F : count == 2 ? 0x0F : 0x07)
            var valid = true
            while k <= count {
                guard i + k < n else { valid = false; break }
                let c = bytes[i + k]
                let (lo, hi) = k == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
                guard c >= lo && c <= hi else { valid = false; break }
                value = value << 6 | UInt32(c & 0x3F)
                k += 1
            }
            if valid, let s = Unicode.Scalar(value) {
                out.append(s)
                i += count + 1
            } else {
                out.append("\u{FFFD}")
                i += k
            }
        }
        return String(out)
    }
}

extension String {
    /// Whether the UTF-8 bytes start with those of `prefix` (no Unicode equivalence).
    func hasPrefixBytes(_ prefix: String) -> Bool {
        utf8.starts(with: prefix.utf8)
    }

    /// Byte-exact equality (Swift's `==` treats canonically equivalent strings as equal).
    func sameBytes(as other: String) -> Bool {
        utf8.elementsEqual(other.utf8)
    }

    /// Replaces every non-overlapping occurrence of `target`'s bytes, left to right.
    func replacingBytes(_ target: String, with replacement: String) -> String {
        let t = Array(target.utf8)
        if t.isEmpty {
            // Rust's `str::replace("", r)` puts `r` at every character boundary.
            var out = replacement
            for c in unicodeScalars { out.unicodeScalars.append(c); out += replacement }
            return out
        }
        let bytes = Array(utf8)
        guard bytes.count >= t.count else { return self }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        var changed = false
        while i < bytes.count {
            if i + t.count <= bytes.count && bytes[i] == t[0] && Array(bytes[i..<(i + t.count)]) == t {
                out.append(contentsOf: replacement.utf8)
                i += t.count
                changed = true
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return changed ? String(decoding: out, as: UTF8.self) : self
    }
}
