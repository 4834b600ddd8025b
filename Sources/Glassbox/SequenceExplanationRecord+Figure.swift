import Foundation

extension SequenceExplanationRecord {
    /// The targets × sources heatmap (rows generated tokens, columns all tokens, generated columns
    /// marked, null cells hatched), its colour scale chosen by `scoreLimit` as the token strips'.
    public func heatmap(scoreLimit: ScoreLimit = .robust) throws -> SequenceHeatmap {
        try validate()
        return heatmap(scores: try ScoreMatrix(matrix.map { $0.map { Float($0 ?? .nan) } }), scoreLimit: scoreLimit)
    }

    /// `heatmap(scoreLimit:)` with the matrix given as `scores` (`[generated, tokens]`, NaN for
    /// null), as `SequenceRecordScores` holds it; the shapes are not checked here.
    public func heatmap(scores values: ScoreMatrix, scoreLimit: ScoreLimit = .robust) -> SequenceHeatmap {
        let name = ExplanationRecord.methodNames[method] ?? method
        return SequenceHeatmap(scores: values, rowLabels: generated.map { TokenText.display($0.text) },
                               columnLabels: tokens.map { TokenText.display($0.text) },
                               generatedColumns: tokens.indices.filter { tokens[$0].generated },
                               title: "What each generated \(unit) draws on: \(name) · \(URL(fileURLWithPath: model.name).lastPathComponent)",
                               scoreLabel: name, scoreLimit: scoreLimit)
    }

    /// Target `index`'s row as a token strip: the sources with a score, then the target framed
    /// (appended when it is not itself a column with a score, as single-step explanations of a
    /// causal LM draw the predicted token).
    public func strip(_ index: Int, scoreLimit: ScoreLimit = .robust) throws -> TokenStrip {
        try validate()
        guard index >= 0 && index < generated.count else {
            throw RecordError.unreadable(file: "sequence explanation", reason: "target \(index) outside 0..<\(generated.count)")
        }
        return strip(index, row: matrix[index], scoreLimit: scoreLimit)
    }

    /// `strip(_:scoreLimit:)` with target `index`'s matrix row given as `row` (one value per
    /// token, nil for none); `index` must be a valid target.
    func strip(_ index: Int, row: [Double?], scoreLimit: ScoreLimit) -> TokenStrip {
        let target = generated[index]
        let lastDefined = row.lastIndex { $0 != nil } ?? -1
        let shown = max(target.position, lastDefined + 1)
        var texts = tokens[0..<shown].map(\.text), scores = row[0..<shown].map { $0 ?? 0 }
        var marked = target.position
        if lastDefined < target.position {
            texts.append(target.text)
            scores.append(0)
            marked = texts.count - 1
        }
        let name = ExplanationRecord.methodNames[method] ?? method
        let odds = String(format: "p=%.3f", target.prob)
        return TokenStrip(tokens: texts, scores: scores, target: marked,
                          title: "Why “\(TokenText.visible(target.text))” (\(odds)), generated \(unit) \(index)? \(name)",
                          scoreLabel: name, scoreLimit: scoreLimit)
    }
}
