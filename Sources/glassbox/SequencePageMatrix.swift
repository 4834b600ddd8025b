import Foundation
import Glassbox

/// The generated-tokens × sources matrix an explanation page carries, by the heatmap figure's rule
/// (`SequenceHeatmap.blocks`, docs/methods.md §12.5): every cell exact while both sides are at most
/// `SequenceHeatmap.maxCells` (840); beyond, pooled in the figure's blocks (⌈side / 840⌉, square
/// when both sides are pooled) to the score of largest |score| in each, and the page says so. The
/// colour limit and the clipped count are taken over every cell, before pooling, as the figure's.
/// A 5,000 × 5,100 record (221 MB) gives a page of 715 × 729 cells instead of every one of its
/// 25.5 million (docs/benchmarks.md, "Long inputs").
enum SequencePageMatrix {
    /// A record decoded whole (`matrix` as written).
    case record(SequenceExplanationRecord)
    /// A record read with `SequenceRecordScores.read` (cells as float32, `record.matrix` empty).
    case scores(SequenceRecordScores)

    /// The record (tokens, generated tokens, method, model).
    var record: SequenceExplanationRecord {
        switch self {
        case .record(let record): record
        case .scores(let scores): scores.record
        }
    }

    /// Whether the page pools `scores` (a side longer than the figure draws cell for cell).
    static func isPooled(_ scores: SequenceRecordScores) -> Bool {
        let blocks = scores.heatmap().blocks
        return blocks.rows > 1 || blocks.columns > 1
    }

    /// The view data: `tokens` (column labels), `generated` (`[{text}]`, row labels), `matrix`
    /// (`[rows][columns]`, null where a source comes at or after its target), `limit`, `legend`;
    /// pooled, also `pooled` (the statement shown on the page) and `cells` (`[rows, columns]` of
    /// the record), with one label per block (`"12–18 ‘text’…"`: the block's positions and first token).
    func view(scoreLimit: ScoreLimit) throws -> [String: Any] {
        switch self {
        case .record(let record):
            if record.matrix.count > 0, record.matrix.count > SequenceHeatmap.defaultMaxCells
                || record.tokens.count > SequenceHeatmap.defaultMaxCells {
                return try Self.scores(try SequenceRecordScores(record)).view(scoreLimit: scoreLimit)
            }
            let defined = record.matrix.flatMap { $0.compactMap { $0 } }
            let limit = scoreLimit.limit(for: defined)
            return ["tokens": record.tokens.map { TokenText.label($0.text) },
                    "generated": record.generated.map { ["text": TokenText.label($0.text)] },
                    "matrix": record.matrix.map { $0.map { $0.map { $0 as Any } ?? NSNull() } }, "limit": limit,
                    "legend": scoreLimit.legend(scores: defined, limit: limit, unit: "cell").text]
        case .scores(let scores):
            let heatmap = scores.heatmap(scoreLimit: scoreLimit)
            let all = scores.scores
            let limit = scoreLimit.limit(forFloat32: all.values)
            let (rowBlock, columnBlock) = heatmap.blocks
            let shown = all.pooled(rowBlock: rowBlock, columnBlock: columnBlock, method: heatmap.pooling)
            // Each float32 as its shortest decimal (0.12345679, not 0.12345679104328156).
            let matrix: [[Any]] = (0..<shown.rows).map { r in
                (0..<shown.columns).map { c in
                    let value = shown[r, c]
                    return value.isNaN ? NSNull() : Double("\(value)")! as Any
                }
            }
            let record = scores.record
            var view: [String: Any] = [
                "tokens": Self.labels(record.tokens.map(\.text), block: columnBlock),
                "generated": Self.labels(record.generated.map(\.text), block: rowBlock).map { ["text": $0] },
                "matrix": matrix, "limit": limit,
                "legend": scoreLimit.legend(float32: all.values, limit: limit, unit: "cell").text,
            ]
            if rowBlock > 1 || columnBlock > 1 {
                view["pooled"] = "\(heatmap.pooling.name) in blocks of \(rowBlock) × \(columnBlock): \(all.rows) × \(all.columns) cells shown as \(shown.rows) × \(shown.columns)"
                view["cells"] = [all.rows, all.columns]
            }
            return view
        }
    }

    /// One label per block of `block` texts: the text's label when a block is one text, else the
    /// block's positions and its first text.
    private static func labels(_ texts: [String], block: Int) -> [String] {
        guard block > 1 else { return texts.map(TokenText.label) }
        return stride(from: 0, to: texts.count, by: block).map { start in
            let end = min(start + block, texts.count) - 1
            return "\(start)–\(end) ‘\(TokenText.label(texts[start]))’…"
        }
    }
}
