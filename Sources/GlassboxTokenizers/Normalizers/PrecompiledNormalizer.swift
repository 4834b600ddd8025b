import Foundation

/// SentencePiece's compiled normalization rules (`Precompiled`, the `precompiled_charsmap` that
/// T5, XLM-R, mBART and ALBERT tokenizers carry; Kudo & Richardson 2018, "SentencePiece", §3.3):
/// a double-array trie (Darts) over UTF-8 keys whose values index a blob of NUL-terminated
/// replacement strings. Applied as the Rust `tokenizers` library applies it: text is cut into
/// extended grapheme clusters; a cluster under 6 bytes with a key that is a prefix of it (the
/// shortest such key) is replaced whole; otherwise each character with a key that is a prefix of
/// it is replaced. Alignments (see `NormalizedString.transform`): the replacement's characters
/// replace the old ones in order; extra ones are insertions (taking the previous character's
/// range); missing ones are removed after the last change made so far (a removal at the very
/// start is not recorded, so the next character takes the removed one's range, as the reference
/// does).
///
/// Layout of the decoded blob: a little-endian `UInt32` byte size of the trie, the trie as
/// little-endian `UInt32` units, then the replacement strings (valid UTF-8).
struct PrecompiledNormalizer: TextNormalizer {
    let trie: [UInt32]
    let replacements: [UInt8]

    init(trie: [UInt32], replacements: [UInt8]) {
        self.trie = trie
        self.replacements = replacements
    }

    init(config: ConfigReader) throws {
        let encoded = try config.string("precompiled_charsmap")
        guard let data = Data(base64Encoded: encoded) else {
            throw config.fail("'precompiled_charsmap' is not valid base64")
        }
        try self.init(charsmap: [UInt8](data), fail: { config.fail($0) })
    }

    /// Parses a decoded charsmap; `fail` makes the error for a malformed one.
    init(charsmap bytes: [UInt8], fail: (String) -> TokenizerError) throws {
        guard bytes.count >= 4 else { throw fail("'precompiled_charsmap' is shorter than its 4-byte header") }
        let trieBytes = Int(Self.littleEndian(bytes, at: 0))
        let units = trieBytes / 4
        guard 4 + units * 4 <= bytes.count else {
            throw fail("'precompiled_charsmap' announces a \(trieBytes)-byte trie in \(bytes.count - 4) bytes")
        }
        trie = (0..<units).map { Self.littleEndian(bytes, at: 4 + 4 * $0) }
        replacements = Array(bytes[(4 + units * 4)...])
        if String(validating: replacements, as: UTF8.self) == nil {
            throw fail("the replacement strings of 'precompiled_charsmap' are not valid UTF-8")
        }
    }

    private static func littleEndian(_ bytes: [UInt8], at i: Int) -> UInt32 {
        UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
    }

    /// The value of the shortest key that is a prefix of `key` (Darts' common-prefix search,
    /// first result); stops at a NUL byte. An index outside the trie ends the search.
    func shortestPrefixValue(_ key: ArraySlice<UInt8>) -> Int? {
        guard !trie.isEmpty else { return nil }
        func offset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & (1 << 9)) >> 6)) }
        var position = offset(trie[0])
        for c in key {
            if c == 0 { break }
            position ^= Int(c)
            guard position < trie.count else { return nil }
            let unit = trie[position]
            if unit & ((1 << 31) | 0xFF) != UInt32(c) { return nil }
            position ^= offset(unit)
            if (unit >> 8) & 1 == 1 {
                guard position < trie.count else { return nil }
                return Int(trie[position] & ((1 << 31) - 1))
            }
        }
        return nil
    }

    /// The replacement for `key` (the NUL-terminated string at the value of its shortest matching
    /// prefix), or nil when no key matches or the value points outside the strings.
    func replacement(_ key: ArraySlice<UInt8>) -> [Unicode.Scalar]? {
        guard let index = shortestPrefixValue(key), index <= replacements.count else { return nil }
        var end = index
        while end < replacements.count && replacements[end] != 0 { end += 1 }
        guard let text = String(validating: replacements[index..<end], as: UTF8.self) else { return nil }
        return Array(text.unicodeScalars)
    }

    func normalize(_ string: inout NormalizedString) {
        var changes: [(Unicode.Scalar, Int)] = []
        changes.reserveCapacity(string.count)
        var modified = false
        func push(_ replacement: [Unicode.Scalar], replacing old: Int) {
            modified = true
            for r in replacement { changes.append((r, 0)) }
            let difference = replacement.count - old
            if difference > 0 {
                for k in (changes.count - difference)..<changes.count { changes[k].1 = 1 }
            } else if difference < 0, !changes.isEmpty {
                changes[changes.count - 1].1 += difference
            }
        }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: string.scalars)
        for grapheme in String(text) {
            let scalars = Array(grapheme.unicodeScalars)
            let bytes = Array(grapheme.utf8)
            if bytes.count < 6, let replacement = replacement(bytes[...]) {
                push(replacement, replacing: scalars.count)
                continue
            }
            for s in scalars {
                let utf8 = Array(String(s).utf8)
                if let replacement = replacement(utf8[...]) {
                    push(replacement, replacing: 1)
                } else {
                    changes.append((s, 0))
                }
            }
        }
        if modified {
            string.transform(range: 0..<string.count, changes: changes, initialOffset: 0)
        }
    }
}
