/// A range of bytes in the original input (UTF-8), stored compactly.
struct Alignment: Equatable, Sendable {
    var start: Int32
    var end: Int32
}

/// A piece of the input as the pipeline changes it, with the original byte range of every
/// character: the `NormalizedString` of the Rust `tokenizers` library, with the same alignment
/// rules (see `transform`), kept per Unicode scalar instead of per byte (every byte of a character
/// shares its alignment there, so the two are equivalent). Alignments are absolute byte offsets
/// into the whole original input.
struct NormalizedString: Sendable {
    /// The normalized text.
    var scalars: [Unicode.Scalar]
    /// `alignments[i]` is the original byte range that `scalars[i]` came from.
    var alignments: [Alignment]
    /// The original byte range this string covers (`offsets_original` in the reference).
    var originalStart: Int
    var originalEnd: Int

    /// The part `range` (byte offsets, on scalar boundaries) of the UTF-8 input `bytes`, unchanged.
    init(original bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
        var scalars: [Unicode.Scalar] = []
        var alignments: [Alignment] = []
        scalars.reserveCapacity(range.count)
        alignments.reserveCapacity(range.count)
        var i = range.lowerBound
        while i < range.upperBound {
            let (scalar, length) = UTF8Decoding.decode(bytes, at: i)
            scalars.append(scalar)
            alignments.append(Alignment(start: Int32(i), end: Int32(i + length)))
            i += length
        }
        self.scalars = scalars
        self.alignments = alignments
        originalStart = range.lowerBound
        originalEnd = range.upperBound
    }

    init(scalars: [Unicode.Scalar], alignments: [Alignment], originalStart: Int, originalEnd: Int) {
        self.scalars = scalars
        self.alignments = alignments
        self.originalStart = originalStart
        self.originalEnd = originalEnd
    }

    var isEmpty: Bool { scalars.isEmpty }
    var count: Int { scalars.count }

    /// The normalized text as a `String`.
    var text: String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars)
        return String(s)
    }

    /// The alignment given to a character inserted at scalar index `index` (change +1 in
    /// `transform`): the previous character's, or an empty range at the start of this string.
    private func insertionAlignment(at index: Int) -> Alignment {
        index < 1 ? Alignment(start: Int32(originalStart), end: Int32(originalStart)) : alignments[index - 1]
    }

    /// Replaces `range` (scalar indices) with `changes`, as `transform_range` does: each new
    /// character comes with a change of `0` (it replaces the next old character and takes its
    /// alignment), `+1` (it is inserted and takes the previous old character's alignment) or `-n`
    /// (it replaces the next old character, and the `n` after that are removed).
    /// `initialOffset` old characters are removed before the first new one.
    mutating func transform(range: Range<Int>, changes: [(Unicode.Scalar, Int)], initialOffset: Int) {
        var offset = range.lowerBound + initialOffset
        var newScalars: [Unicode.Scalar] = []
        var newAlignments: [Alignment] = []
        newScalars.reserveCapacity(changes.count)
        newAlignments.reserveCapacity(changes.count)
        for (scalar, change) in changes {
            let alignment: Alignment
            if change > 0 {
                alignment = insertionAlignment(at: offset)
            } else {
                alignment = offset < alignments.count ? alignments[offset]
                    : insertionAlignment(at: offset)
                offset += 1 - change
            }
            newScalars.append(scalar)
            newAlignments.append(alignment)
        }
        scalars.replaceSubrange(range, with: newScalars)
        alignments.replaceSubrange(range, with: newAlignments)
    }

    /// Keeps the characters for which `keep` is true (each keeps its alignment).
    mutating func filter(_ keep: (Unicode.Scalar) -> Bool) {
        var j = 0
        for i in 0..<scalars.count where keep(scalars[i]) {
            scalars[j] = scalars[i]
            alignments[j] = alignments[i]
            j += 1
        }
        scalars.removeLast(scalars.count - j)
        alignments.removeLast(alignments.count - j)
    }

    /// Replaces each character by one character (alignments unchanged).
    mutating func map(_ transform: (Unicode.Scalar) -> Unicode.Scalar) {
        for i in 0..<scalars.count { scalars[i] = transform(scalars[i]) }
    }

    /// Replaces each character by zero or more characters that all take its alignment (the
    /// result of changes `0, +1, +1, …` per character, as lowercasing and decomposition produce).
    mutating func expand(_ transform: (Unicode.Scalar, inout [Unicode.Scalar]) -> Void) {
        var newScalars: [Unicode.Scalar] = []
        var newAlignments: [Alignment] = []
        newScalars.reserveCapacity(scalars.count)
        newAlignments.reserveCapacity(scalars.count)
        var buffer: [Unicode.Scalar] = []
        for i in 0..<scalars.count {
            buffer.removeAll(keepingCapacity: true)
            transform(scalars[i], &buffer)
            if buffer.isEmpty { continue }
            for s in buffer {
                newScalars.append(s)
                newAlignments.append(alignments[i])
            }
        }
        scalars = newScalars
        alignments = newAlignments
    }

    /// Puts `prefix` in front: every added character takes the first character's alignment
    /// (`prepend` in the reference). Does nothing to an empty string.
    mutating func prepend(_ prefix: [Unicode.Scalar]) {
        guard let first = alignments.first, !prefix.isEmpty else { return }
        scalars.insert(contentsOf: prefix, at: 0)
        alignments.insert(contentsOf: repeatElement(first, count: prefix.count), at: 0)
    }

    /// Replaces every match of `pattern` with `content`: the new characters all take the
    /// alignment of the last replaced character (`replace` in the reference).
    mutating func replace(_ pattern: SplitPattern, with content: [Unicode.Scalar]) throws {
        let matches = try pattern.findMatches(in: scalars).filter(\.isMatch)
        guard !matches.isEmpty else { return }
        var newScalars: [Unicode.Scalar] = []
        var newAlignments: [Alignment] = []
        newScalars.reserveCapacity(scalars.count)
        newAlignments.reserveCapacity(scalars.count)
        var last = 0
        for m in matches {
            newScalars.append(contentsOf: scalars[last..<m.range.lowerBound])
            newAlignments.append(contentsOf: alignments[last..<m.range.lowerBound])
            let alignment = insertionAlignment(at: m.range.upperBound)
            newScalars.append(contentsOf: content)
            newAlignments.append(contentsOf: repeatElement(alignment, count: content.count))
            last = m.range.upperBound
        }
        newScalars.append(contentsOf: scalars[last...])
        newAlignments.append(contentsOf: alignments[last...])
        scalars = newScalars
        alignments = newAlignments
    }

    /// Removes leading and/or trailing whitespace (Rust `char::is_whitespace`).
    mutating func strip(left: Bool, right: Bool) {
        var lower = 0, upper = scalars.count
        if left { while lower < upper && UnicodeClasses.isWhitespace(scalars[lower]) { lower += 1 } }
        if right { while upper > lower && UnicodeClasses.isWhitespace(scalars[upper - 1]) { upper -= 1 } }
        if lower == 0 && upper == scalars.count { return }
        scalars = Array(scalars[lower..<upper])
        alignments = Array(alignments[lower..<upper])
    }

    /// The part `range` (scalar indices, non-empty) as its own string (`slice` in the reference).
    func slice(_ range: Range<Int>) -> NormalizedString {
        NormalizedString(scalars: Array(scalars[range]), alignments: Array(alignments[range]),
                         originalStart: Int(alignments[range.lowerBound].start),
                         originalEnd: Int(alignments[range.upperBound - 1].end))
    }

    /// Splits into parts as `split(pattern, behavior)` does; empty parts are dropped.
    func split(_ matches: [PatternMatch], behavior: SplitBehavior) -> [NormalizedString] {
        behavior.pieces(from: matches).compactMap { $0.isEmpty ? nil : slice($0) }
    }

    /// The original byte range of the normalized scalars `range` (non-empty): from the first
    /// one's start to the last one's end (`convert_offsets` in the reference).
    func originalRange(ofScalars range: Range<Int>) -> (start: Int, end: Int) {
        (Int(alignments[range.lowerBound].start), Int(alignments[range.upperBound - 1].end))
    }

    /// Writes the normalized text as UTF-8 into `bytes`, and into `starts` the first byte of
    /// each scalar (one extra entry holds the total length); both are emptied first.
    func utf8(into bytes: inout [UInt8], starts: inout [Int32]) {
        bytes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        for s in scalars {
            starts.append(Int32(bytes.count))
            UTF8Decoding.append(s, to: &bytes)
        }
        starts.append(Int32(bytes.count))
    }
}
