/// Turns runs of `<0xXX>` byte tokens back into text (`ByteFallback`); a run that is not valid
/// UTF-8 becomes one U+FFFD per byte, as in the reference.
struct ByteFallbackDecoder: TokenDecoder {
    func decodeChain(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let s = String(validating: pending, as: UTF8.self) {
                out.append(s)
            } else {
                out.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            if let b = Self.byte(token) {
                pending.append(b)
            } else {
                flush()
                out.append(token)
            }
        }
        flush()
        return out
    }

    /// The byte of a `<0xXX>` token (six bytes long, as `u8::from_str_radix` reads the digits).
    static func byte(_ token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == UInt8(ascii: "<"), u[1] == UInt8(ascii: "0"), u[2] == UInt8(ascii: "x"),
              u[5] == UInt8(ascii: ">") else { return nil }
        var digits = String(decoding: u[3..<5], as: UTF8.self)
        if digits.hasPrefix("+") { digits.removeFirst() }
        return UInt8(digits, radix: 16)
    }
}
