import Foundation
import Glassbox

/// The pictures of `attention`, `lens`, `project` and `neurons`, drawn from the JSON object each
/// prints: the command and `glassbox render` share this code, so a saved result redraws the same
/// picture without the model.
enum ResultFigures {
    /// The commands whose `--json` results `render` redraws.
    static let renderable = ["explain", "attention", "lens", "project", "neurons", "patch", "trace", "path", "evaluate"]
    static var renderableList: String { renderable.dropLast().joined(separator: ", ") + " and " + renderable.last! }

    /// The picture of a `lens`, `project`, `neurons` or `attention` result; nil when the result
    /// has nothing to draw (a `neurons` result with trigger examples only).
    static func figure(_ object: [String: Any]) throws -> (any Figure)? {
        switch try JSONField.string(object, "command") {
        case "lens": try lens(object)
        case "project": try project(object)
        case "neurons": try neurons(object)
        case "attention": try attention(object)
        case "patch", "trace": try PatchFigures.figure(object)
        case "path": object["results"] == nil || (object["results"] as? [Any])?.isEmpty == true ? nil : try PatchFigures.figure(object)
        case "evaluate": try EvaluationFigure.figure(object)
        case let other: throw JSONField.Problem(detail: "'\(other)' results have no picture")
        }
    }

    /// `text`, or `<id>` when a token has no text.
    private static func tokenText(_ entry: [String: Any], text: String = "text", id: String = "id") throws -> String {
        let value = try JSONField.string(entry, text)
        return value.isEmpty ? "<\(try JSONField.int(entry, id))>" : value
    }

    static func lens(_ object: [String: Any]) throws -> LensTable {
        let lens = try ResultJSON.lens(object)
        let cells = lens.rows.map { row in
            row.cells.map { LensTable.Cell(text: $0.top.first?.text ?? "", probability: $0.top.first?.prob ?? 0, isMarked: $0.targetRank == 1) }
        }
        let site = try JSONField.string(object, "site") + (try JSONField.optionalBool(object, "approximate") == true ? ", approximate: tied embeddings" : "")
        return LensTable(cells: cells, positionLabels: lens.positions.map { lens.labels[$0] }, layerLabels: lens.rows.map(\.label),
                         title: "Logit lens (\(site)) · \(try ResultJSON.modelName(object))")
    }

    /// The picture of a `project` result: one bar chart of the top token pairs or of the one
    /// projected vector's top tokens; a gated MLP's `ffn-key` (two projections, gate and up) as two
    /// panels under one title, named by `projectionName`.
    static func project(_ object: [String: Any]) throws -> any Figure {
        let layer = try JSONField.int(object, "layer"), what = try JSONField.string(object, "what")
        let name = try ResultJSON.modelName(object)
        if let pairs = object["pairs"] {
            let entries = try JSONField.objects(["pairs": pairs], "pairs")
            let labels = try entries.map {
                TokenText.label(try tokenText($0, text: "fromText", id: "from")) + " → " + TokenText.label(try tokenText($0, text: "toText", id: "to"))
            }
            return BarChart(values: try entries.map { try JSONField.double($0, "score") }, labels: labels,
                            title: "Layer \(layer), head \(try JSONField.int(object, "head")): top \(what.uppercased()) token pairs · \(name)",
                            valueLabel: "score")
        }
        let projections = try JSONField.objects(object, "projections")
        guard let first = projections.first else { throw JSONField.Problem(detail: "'projections' is empty") }
        let kinds = try projections.map { try JSONField.string($0, "kind") }
        let title = "Layer \(layer), \(try MemoryNeuron.label(object)): \(projectionSubject(kinds)) in embedding space · \(name)"
        func chart(_ projection: [String: Any], title: String?) throws -> BarChart {
            let top = try JSONField.objects(projection, "top")
            return BarChart(values: try top.map { try JSONField.double($0, "score") }, labels: try top.map { TokenText.label(try tokenText($0)) },
                            title: title, valueLabel: "score")
        }
        guard projections.count > 1 else { return try chart(first, title: title) }
        return BarChartPanels(panels: try zip(projections, kinds).map { try chart($0, title: projectionName($1)) }, title: title)
    }

    /// What a `project` result's projections read, for its title: the one kind (`ffn-key`,
    /// `ffn-value`), or "ffn-key (gate and up)" for a gated MLP's two keys.
    static func projectionSubject(_ kinds: [String]) -> String {
        kinds == ["ffn-key", "ffn-key-up"] ? "ffn-key (gate and up)" : kinds.joined(separator: " and ")
    }

    /// The name of one of several projections (a panel's title, a table section's heading):
    /// "gate key (ffn-key)", "up key (ffn-key-up)", otherwise the kind itself.
    static func projectionName(_ kind: String) -> String {
        switch kind {
        case "ffn-key": "gate key (ffn-key)"
        case "ffn-key-up": "up key (ffn-key-up)"
        default: kind
        }
    }

    static func neurons(_ object: [String: Any]) throws -> BarChart? {
        let layer = try JSONField.int(object, "layer")
        if let sub = object["subUpdates"] {
            let subUpdates = try JSONField.object(["subUpdates": sub], "subUpdates")
            let updates = try JSONField.objects(subUpdates, "updates")
            return BarChart(values: try updates.map { try JSONField.double($0, "score") },
                            labels: try updates.map { $0["expert"] == nil ? "n\(try JSONField.int($0, "neuron"))" : try MemoryNeuron.label($0) },
                            title: "Layer \(layer): dominant sub-updates at position \(try JSONField.int(subUpdates, "position")) · \(try ResultJSON.modelName(object))",
                            valueLabel: "score")
        }
        if let value = object["value"] {
            let entry = try JSONField.object(["value": value], "value")
            let top = try JSONField.objects(entry, "top")
            return BarChart(values: try top.map { try JSONField.double($0, "score") },
                            labels: try top.map { TokenText.label(try tokenText($0)) },
                            title: "Layer \(layer), \(try MemoryNeuron.label(entry)): value tokens · \(try ResultJSON.modelName(object))",
                            valueLabel: "score")
        }
        return nil
    }

    /// One layer's attention: `patterns` is `[heads, n, n]` for the heads listed.
    struct AttentionPanel {
        let layer: Int
        let heads: [Int]
        let patterns: Tensor
    }

    /// The attention picture of `view` (`matrix`, `grid` or `lines`) from the panels.
    static func attention(view: String, panels: [AttentionPanel], labels: [String], name: String, causal: Bool,
                          query: Int?) throws -> any Figure {
        guard let first = panels.first, !first.heads.isEmpty else { throw JSONField.Problem(detail: "no attention weights") }
        func matrix(_ t: Tensor) throws -> ScoreMatrix { try ScoreMatrix(rows: t.shape[0], columns: t.shape[1], values: t.storage) }
        switch view {
        case "matrix":
            let which = first.heads.count == 1 ? "head \(first.heads[0])" : "mean of \(first.heads.count) heads"
            return AttentionMatrix(weights: try matrix(HeadFusion.mean.fuse(first.patterns)), tokens: labels,
                                   title: "Layer \(first.layer), \(which) · \(name)", causal: causal)
        case "lines":
            return AttentionLines(tokens: labels, attention: try (0..<first.heads.count).map { try matrix(first.patterns.row($0)) },
                                  headLabels: first.heads.map { "head \($0)" }, query: query, title: "Layer \(first.layer) · \(name)")
        default:
            let tiles = try panels.map { panel in try (0..<panel.heads.count).map { try matrix(panel.patterns.row($0)) } }
            return HeadGrid(attention: tiles, layerLabels: panels.map { "L\($0.layer)" }, headLabels: first.heads.map { "H\($0)" },
                            title: "Attention of \(panels.count) layers × \(first.heads.count) heads, \(labels.count) positions · \(name)",
                            causal: causal)
        }
    }

    /// An `attention --json` result redrawn in the view it was drawn in (`grid` for results
    /// without a `view` key).
    static func attention(_ object: [String: Any]) throws -> any Figure {
        let result = try ResultJSON.attention(object)
        return try attention(view: result.view, panels: result.panels, labels: result.labels,
                             name: try ResultJSON.modelName(object), causal: result.causal, query: result.query)
    }
}
