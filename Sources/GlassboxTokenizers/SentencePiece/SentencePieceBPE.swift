/// SentencePiece's BPE segmentation (`bpe::Model::SampleEncode` without dropout, sentencepiece
/// 0.2.1; Sennrich et al. 2016, "Neural Machine Translation of Rare Words with Subword Units",
/// §3.2, with SentencePiece's scores as merge priorities) over the whole normalized text: split
/// into characters, a user-defined piece kept as one frozen symbol; then repeatedly merge the
/// adjacent pair whose concatenation is a matchable piece with the highest score (the leftmost
/// among equal scores); an unused piece that results is split back into the two symbols that
/// made it. A symbol that is not a piece is the unknown id.
struct SentencePieceBPE: Sendable {
    let model: SentencePieceModel

    init(_ model: SentencePieceModel) { self.model = model }

    private struct Symbol {
        var start: Int, length: Int
        var previous: Int, next: Int
        var frozen: Bool
    }

    private struct Candidate: Comparable {
        var score: Float, left: Int, right: Int, length: Int
        /// Orders the heap: the higher score first, then the smaller `left`.
        static func < (a: Candidate, b: Candidate) -> Bool {
            a.score > b.score || (a.score == b.score && a.left < b.left)
        }
    }

    /// The segmentation of `normalized`: (start, end, id) in its bytes, in order.
    func encode(_ text: UnsafeBufferPointer<UInt8>) -> [(start: Int, end: Int, id: Int)] {
        if text.isEmpty { return [] }
        var symbols: [Symbol] = []
        var position = 0
        while position < text.count {
            let user = model.normalizer.userDefined.isEmpty ? 0 : model.normalizer.userDefined.longestPrefix(of: text, from: position)
            let length = user > 0 ? user : min(UTF8Decoding.length(leadByte: text[position]), text.count - position)
            let index = symbols.count
            symbols.append(Symbol(start: position, length: length, previous: index - 1,
                                  next: position + length < text.count ? index + 1 : -1, frozen: user > 0))
            position += length
        }
        var heap = MinHeap<Candidate>()
        // Unused pieces made by a merge → the two symbols they came from (the last merge wins,
        // as `rev_merge[piece] = …` does).
        var splits: [[UInt8]: ([UInt8], [UInt8])] = [:]
        func consider(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0, !symbols[left].frozen, !symbols[right].frozen else { return }
            let start = symbols[left].start, length = symbols[left].length + symbols[right].length
            let span = UnsafeBufferPointer(rebasing: text[start..<(start + length)])
            guard let id = model.matchable.id(span) else { return }
            heap.push(Candidate(score: model.scores[id], left: left, right: right, length: length))
            if model.kinds[id] == .unused {
                splits[Array(span)] = (Array(text[start..<(start + symbols[left].length)]),
                                       Array(text[(start + symbols[left].length)..<(start + length)]))
            }
        }
        for i in 1..<symbols.count { consider(i - 1, i) }
        while let top = heap.pop() {
            let left = symbols[top.left], right = symbols[top.right]
            if left.length == 0 || right.length == 0 || left.length + right.length != top.length { continue }
            symbols[top.left].length += right.length
            symbols[top.left].next = right.next
            if right.next >= 0 { symbols[right.next].previous = top.left }
            symbols[top.right].length = 0
            consider(symbols[top.left].previous, top.left)
            consider(top.left, symbols[top.left].next)
        }
        var result: [(start: Int, end: Int, id: Int)] = []
        func resegment(_ start: Int, _ bytes: [UInt8]) {
            let id = bytes.withUnsafeBufferPointer { model.id($0) }
            if model.kinds[id] == .unused, let (a, b) = splits[bytes] {
                resegment(start, a)
                resegment(start + a.count, b)
            } else {
                result.append((start, start + bytes.count, id))
            }
        }
        var index = 0
        while index >= 0 && index < symbols.count {
            let s = symbols[index]
            resegment(s.start, Array(text[s.start..<(s.start + s.length)]))
            index = s.next
        }
        return result
    }
}

/// A binary heap, smallest element (by `<`) first.
struct MinHeap<Element: Comparable> {
    private var items: [Element] = []

    mutating func push(_ x: Element) {
        items.append(x)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !(items[i] < items[parent]) { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && items[l] < items[m] { m = l }
            if r < items.count && items[r] < items[m] { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}
