import Foundation

/// SentencePiece's normalizer (`normalizer::Normalizer::Normalize` in sentencepiece 0.2.1), run
/// on the whole text with a map from each normalized byte back to the input: at each position a
/// user-defined piece is kept verbatim (longest match), else the longest key of the precompiled
/// charsmap is replaced by its string, else one character is copied; leading spaces are dropped,
/// runs of spaces collapse to one and trailing ones are dropped (`remove_extra_whitespaces`);
/// "▁" is prepended (`add_dummy_prefix`; appended with `treat_whitespace_as_suffix`); spaces
/// become "▁" (`escape_whitespaces`). Kudo & Richardson 2018, §3.3; docs/correctness.md § Tokenizers.
struct SentencePieceNormalizer: Sendable {
    let charsmap: PrecompiledNormalizer?
    let userDefined: ByteTrie
    let addDummyPrefix: Bool
    let removeExtraWhitespaces: Bool
    let escapeWhitespaces: Bool
    let whitespaceAsSuffix: Bool

    /// "▁" (U+2581), SentencePiece's `kSpaceSymbol`.
    static let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]

    init(spec: Sentencepiece_NormalizerSpec, userDefined: [String], whitespaceAsSuffix: Bool, file: String) throws {
        if spec.precompiledCharsmap.isEmpty {
            charsmap = nil
        } else {
            charsmap = try PrecompiledNormalizer(charsmap: [UInt8](spec.precompiledCharsmap)) {
                TokenizerError.malformedFile(file: file, detail: "normalizer_spec: " + $0)
            }
        }
        self.userDefined = ByteTrie(userDefined.map { ($0, 0) })
        addDummyPrefix = spec.addDummyPrefix
        removeExtraWhitespaces = spec.removeExtraWhitespaces
        escapeWhitespaces = spec.escapeWhitespaces
        self.whitespaceAsSuffix = whitespaceAsSuffix
    }

    /// The normalized bytes of `input` and, for each of them plus one past the end, the input
    /// byte offset it comes from (`norm_to_orig`).
    func normalize(_ input: UnsafeBufferPointer<UInt8>) -> (normalized: [UInt8], toOriginal: [Int]) {
        var out: [UInt8] = [], map: [Int] = []
        if input.isEmpty { return (out, map) }
        var position = 0
        if removeExtraWhitespaces {
            while position < input.count {
                let (piece, length) = prefix(input, at: position)
                if piece.count != 1 || piece.first != 0x20 { break }
                position += length
            }
        }
        if position == input.count { return (out, map) }
        out.reserveCapacity(input.count * 3)
        map.reserveCapacity(input.count * 3)
        func addSpace(_ consumed: Int) {
            if escapeWhitespaces {
                out.append(contentsOf: Self.spaceSymbol)
                map.append(contentsOf: repeatElement(consumed, count: 3))
            } else {
                out.append(0x20)
                map.append(consumed)
            }
        }
        if !whitespaceAsSuffix && addDummyPrefix { addSpace(position) }
        var previousIsSpace = removeExtraWhitespaces
        while position < input.count {
            let (replacement, length) = prefix(input, at: position)
            var piece = replacement[...]
            if previousIsSpace { while piece.first == 0x20 { piece = piece.dropFirst() } }
            if !piece.isEmpty {
                for b in piece {
                    if escapeWhitespaces && b == 0x20 {
                        addSpace(position)
                    } else {
                        out.append(b)
                        map.append(position)
                    }
                }
                previousIsSpace = piece.last == 0x20
            }
            position += length
            if !removeExtraWhitespaces { previousIsSpace = false }
        }
        var consumed = position
        if removeExtraWhitespaces {
            let space: [UInt8] = escapeWhitespaces ? Self.spaceSymbol : [0x20]
            while out.count >= space.count, Array(out.suffix(space.count)) == space {
                let length = out.count - space.count
                consumed = map[length]
                out.removeLast(space.count)
                map.removeLast(space.count)
            }
        }
        if whitespaceAsSuffix && addDummyPrefix { addSpace(consumed) }
        map.append(consumed)
        return (out, map)
    }

    /// The normalized text of a decoded string (the denormalizer's use).
    func normalize(_ text: String) -> String {
        let normalized = Array(text.utf8).withUnsafeBufferPointer { normalize($0).normalized }
        return String(decoding: normalized, as: UTF8.self)
    }

    /// `NormalizePrefix`: what the text at `position` becomes and how many input bytes it takes.
    func prefix(_ input: UnsafeBufferPointer<UInt8>, at position: Int) -> ([UInt8], Int) {
        let user = userDefined.isEmpty ? 0 : userDefined.longestPrefix(of: input, from: position)
        if user > 0 { return (Array(input[position..<(position + user)]), user) }
        if let charsmap, let (length, replacement) = charsmap.longestPrefixReplacement(input, from: position) {
            return (replacement, length)
        }
        let length = min(UTF8Decoding.length(leadByte: input[position]), input.count - position)
        return (Array(input[position..<(position + length)]), length)
    }
}

extension PrecompiledNormalizer {
    /// The longest key of the charsmap that is a prefix of `input[start...]`, with its
    /// replacement bytes (up to the NUL that ends them): SentencePiece's rule, where the Rust
    /// `tokenizers` library's `Precompiled` takes the shortest. Nil when no key matches or the
    /// value points outside the replacement strings.
    func longestPrefixReplacement(_ input: UnsafeBufferPointer<UInt8>, from start: Int) -> (Int, [UInt8])? {
        guard !trie.isEmpty else { return nil }
        func offset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & (1 << 9)) >> 6)) }
        var position = offset(trie[0])
        var best: (Int, Int)? = nil
        var i = start
        while i < input.count {
            let c = input[i]
            if c == 0 { break }
            position ^= Int(c)
            guard position < trie.count else { break }
            let unit = trie[position]
            if unit & ((1 << 31) | 0xFF) != UInt32(c) { break }
            position ^= offset(unit)
            if (unit >> 8) & 1 == 1 {
                guard position < trie.count else { break }
                best = (i + 1 - start, Int(trie[position] & ((1 << 31) - 1)))
            }
            i += 1
        }
        guard let (length, value) = best, value < replacements.count else { return nil }
        var end = value
        while end < replacements.count && replacements[end] != 0 { end += 1 }
        return (length, Array(replacements[value..<end]))
    }
}
