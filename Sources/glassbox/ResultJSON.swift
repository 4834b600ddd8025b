import Foundation
import Glassbox

/// What the pictures (`ResultFigures`, `PatchFigures`, the evaluation figure) and the pages
/// (`ResultPages`) both read from a saved `--json` result: the model's name, the token labels,
/// and the `attention`, `lens` and `evaluate` (`ResultJSON+Evaluation.swift`) results.
/// One reader for both, so `render` draws and pages a result from the same values.
enum ResultJSON {
    /// `"model"."name"` as file names spell it (`PictureOutput.slug`).
    static func modelName(_ object: [String: Any]) throws -> String {
        PictureOutput.slug(try JSONField.string(try JSONField.object(object, "model"), "name"))
    }

    /// `modelName`, or `model` when the result does not name its model (titles only).
    static func modelLabel(_ object: [String: Any]) -> String { (try? modelName(object)) ?? "model" }

    /// Every entry of `"tokens"` (objects with `"text"`) as a one-line label.
    static func tokenLabels(_ object: [String: Any]) throws -> [String] {
        try JSONField.objects(object, "tokens").map { TokenText.label(try JSONField.string($0, "text")) }
    }

    // MARK: attention

    /// An `attention --json` result as the picture and the page read it.
    struct Attention {
        /// Every token's label.
        let labels: [String]
        /// One panel per layer, its patterns `[heads.count, n, n]`.
        let panels: [ResultFigures.AttentionPanel]
        /// The view it was drawn in: `matrix`, `grid` (also for results without a `view` key) or `lines`.
        let view: String
        /// Whether the model masks later keys (`causal`, false when absent).
        let causal: Bool
        /// The query position the lines view highlights, when the result names one.
        let query: Int?
    }

    /// How far a weight may lie outside [0, 1] (float32 rounding of a softmax row).
    static let weightTolerance: Float = 1e-4

    /// An `attention --json` result: the token labels and one panel per layer, its patterns
    /// `[heads.count, n, n]` read from `"attention"` (indexed layer, head, query, key), each weight
    /// a number in [0, 1] (± `weightTolerance`) — a weight elsewhere is a `Problem` naming its
    /// place — and the settings it was drawn with.
    static func attention(_ object: [String: Any]) throws -> Attention {
        let labels = try tokenLabels(object)
        let layers = try JSONField.ints(object, "layers"), heads = try JSONField.ints(object, "heads")
        let n = labels.count
        let view = try JSONField.optionalString(object, "view") ?? AttentionView.grid.rawValue
        guard AttentionView(rawValue: view) != nil else {
            throw JSONField.Problem(detail: "view: expected matrix, grid or lines, got \"\(view)\"")
        }
        let causal = try JSONField.optionalBool(object, "causal") ?? false, query = try JSONField.optionalInt(object, "query")
        let panels: [ResultFigures.AttentionPanel]
        if let weights = object["attention"] as? NumericArrayReader.Array {
            // Read straight into float32 by `ResultKind` (`[layers, heads, n, n]`), checked as below.
            guard weights.shape[0] == layers.count else { throw JSONField.Problem(detail: "'attention' must hold one entry per layer") }
            let shape = Array(weights.shape.dropFirst()), size = shape.reduce(1, *)
            panels = try layers.enumerated().map { l, layer in
                guard shape == [heads.count, n, n] else {
                    throw JSONField.Problem(detail: "attention of layer \(layer) has shape \(shape), expected [\(heads.count), \(n), \(n)]")
                }
                return ResultFigures.AttentionPanel(layer: layer, heads: heads, patterns: Tensor(shape: shape, storage: Array(weights.values[(l * size)..<((l + 1) * size)])))
            }
        } else {
            guard let weights = object["attention"] as? [Any], weights.count == layers.count else {
                throw JSONField.Problem(detail: "'attention' must hold one entry per layer")
            }
            panels = try zip(layers, weights).enumerated().map { l, pair in
                let (layer, perHead) = pair
                let (values, shape) = try PatchFigures.flatten(perHead, place: "attention[\(l)]", site: "attention layer \(layer)", what: "weight")
                guard shape == [heads.count, n, n] else {
                    throw JSONField.Problem(detail: "attention of layer \(layer) has shape \(shape), expected [\(heads.count), \(n), \(n)]")
                }
                return ResultFigures.AttentionPanel(layer: layer, heads: heads, patterns: Tensor(shape: shape, storage: values))
            }
        }
        for (l, panel) in panels.enumerated() {
            let bad = panel.patterns.storage.withUnsafeBufferPointer { weights in
                weights.indices.first { !(weights[$0] >= -weightTolerance && weights[$0] <= 1 + weightTolerance) }
            }
            if let bad {
                let (h, q, k) = (bad / (n * n), bad / n % n, bad % n)
                throw JSONField.Problem(detail: "attention[\(l)][\(h)][\(q)][\(k)]'s weight \(panel.patterns.storage[bad]) is outside [0, 1]")
            }
        }
        return Attention(labels: labels, panels: panels, view: view, causal: causal, query: query)
    }

    // MARK: lens

    /// A `lens --json` result: rows (embedding, then each layer) × the positions read out.
    struct Lens {
        /// One readout cell.
        struct Cell {
            /// The top-k tokens (raw text) and their probabilities, most probable first.
            let top: [(text: String, prob: Double)]
            /// The target's rank (1 = top) and probability, when the result has a target.
            let targetRank: Int?, targetProb: Double?
        }

        /// One row: its label and a cell per position.
        struct Row {
            /// `embed`, `L0`, … as the result names the row.
            let label: String
            /// One cell per position read out.
            let cells: [Cell]
        }

        /// Every token's label.
        let labels: [String]
        /// The positions read out (the first row's), each an index into `labels`.
        let positions: [Int]
        /// The rows, in the result's order.
        let rows: [Row]
    }

    /// Reads a `lens --json` result; a position outside the tokens is a `Problem`.
    static func lens(_ object: [String: Any]) throws -> Lens {
        let labels = try tokenLabels(object)
        let raw = try JSONField.objects(object, "rows")
        let rows = try raw.map { row in
            Lens.Row(label: try JSONField.string(row, "label"), cells: try JSONField.objects(row, "positions").map { cell in
                Lens.Cell(top: try JSONField.objects(cell, "top").map { (try JSONField.string($0, "text"), try JSONField.double($0, "prob")) },
                          targetRank: try JSONField.optionalInt(cell, "targetRank"), targetProb: try JSONField.optionalNumber(cell, "targetProb"))
            })
        }
        let positions = try raw.first.map { try JSONField.objects($0, "positions").map { try JSONField.int($0, "position") } } ?? []
        guard positions.allSatisfy(labels.indices.contains) else { throw JSONField.Problem(detail: "a position is outside 'tokens'") }
        return Lens(labels: labels, positions: positions, rows: rows)
    }
}
