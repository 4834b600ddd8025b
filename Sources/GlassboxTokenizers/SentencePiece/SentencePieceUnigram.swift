/// SentencePiece's Unigram segmentation (`unigram::Model::EncodeOptimized`, sentencepiece 0.2.1;
/// Kudo 2018, "Subword Regularization", §2: Viterbi for x* = argmax Σ log p(x_i)) over the whole
/// normalized text: every matchable piece starting at a character is an edge, scored by its
/// `score` — a user-defined piece by `length × max score − 0.1` so that it always wins, an unused
/// piece never — and a character no single piece covers gets an unknown edge scored
/// `min score − 10`. Arithmetic follows the C++ types, so near-ties break the same way: a piece's
/// candidate is a `Double` sum compared with the stored best (a `Float`) and stored as a `Float`;
/// the unknown edge is a `Float` sum; the first candidate wins among equal scores. Scores and the bonus use the normal pieces' minimum and maximum (`FLT_MAX` and
/// `FLT_MIN` when there is none).
struct SentencePieceUnigram: Sendable {
    let trie: ByteTrie
    let scores: [Float]
    let kinds: [SentencePieceModel.Kind]
    let unknownID: Int
    let unknownScore: Float
    let maxScore: Float

    init(_ model: SentencePieceModel) {
        var pieces: [(String, Int)] = []
        var minimum = Float.greatestFiniteMagnitude, maximum = Float.leastNormalMagnitude
        for (id, kind) in model.kinds.enumerated() {
            if kind == .normal || kind == .userDefined || kind == .unused { pieces.append((model.pieces[id], id)) }
            if kind == .normal {
                minimum = min(minimum, model.scores[id])
                maximum = max(maximum, model.scores[id])
            }
        }
        trie = ByteTrie(pieces)
        scores = model.scores
        kinds = model.kinds
        unknownID = model.unknownID
        unknownScore = minimum - 10
        maxScore = maximum
    }

    /// The best segmentation of `normalized`: (start, end, id) in its bytes, in order.
    func encode(_ normalized: UnsafeBufferPointer<UInt8>) -> [(start: Int, end: Int, id: Int)] {
        let n = normalized.count
        if n == 0 { return [] }
        var bestScore = [Float](repeating: 0, count: n + 1)
        var bestStart = [Int](repeating: -1, count: n + 1)
        var bestID = [Int](repeating: -1, count: n + 1)
        var start = 0
        while start < n {
            let here = bestScore[start]
            let characterLength = min(UTF8Decoding.length(leadByte: normalized[start]), n - start)
            var hasSingleCharacter = false
            trie.forEachPrefix(of: normalized, from: start) { length, id in
                if kinds[id] == .unused { return }
                let end = start + length
                // `cond ? length * max_score_ - 0.1 : score` has the type double in C++, so every
                // candidate is a double sum, compared with the stored float and then stored as one.
                let score = kinds[id] == .userDefined ? Double(Float(length) * maxScore) - 0.1 : Double(scores[id])
                let candidate = score + Double(here)
                let better = bestStart[end] == -1 || candidate > Double(bestScore[end])
                if better {
                    bestScore[end] = Float(candidate)
                    bestStart[end] = start
                    bestID[end] = id
                }
                if length == characterLength { hasSingleCharacter = true }
            }
            if !hasSingleCharacter {
                let end = start + characterLength
                let candidate = unknownScore + here
                if bestStart[end] == -1 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    bestStart[end] = start
                    bestID[end] = unknownID
                }
            }
            start += characterLength
        }
        var result: [(start: Int, end: Int, id: Int)] = []
        var end = n
        while end > 0 {
            let begin = bestStart[end]
            result.append((begin, end, bestID[end]))
            end = begin
        }
        return result.reversed()
    }
}
