import Foundation
import Glassbox

/// The interactive pages (`--out FILE.html`) of explain, attention, lens, patch (trace, path) and
/// evaluate, built from the JSON object each command prints with `--json` — so `glassbox render`
/// builds the same page from a saved result. Colours and scales are the PNGs': the same score
/// limit rule, the same colour maps (docs/html.md).
enum ResultPages {
    /// The commands whose results have a page.
    static let kinds = ["explain", "attention", "lens", "patch", "trace", "path", "evaluate"]

    /// The page of a saved result other than explain (dispatching on `"command"`; explain results
    /// are decoded as records and go to `explanation(_:sequence:scoreLimit:)`).
    static func page(_ object: [String: Any], scoreLimit: ScoreLimit = .robust) throws -> HTMLPage {
        switch try JSONField.string(object, "command") {
        case "attention": try attention(object)
        case "lens": try lens(object)
        case "patch", "trace", "path": try patching(object)
        case "evaluate": try evaluation(object)
        case let other: throw JSONField.Problem(detail: "'\(other)' results have no page; pages show \(kinds.joined(separator: ", "))")
        }
    }

    // MARK: explain

    /// Token heatmaps of one or more explanations of the same input (a method switch), and the
    /// generated-tokens × sources matrix of a sequence explanation (pooled beyond 840 cells a side:
    /// `SequencePageMatrix`); titled by `method` and the model named `modelName`.
    static func explanation(_ records: [ExplanationRecord], sequence: SequencePageMatrix?, scoreLimit: ScoreLimit,
                            method: String, modelName: String) throws -> HTMLPage {
        try explanationPage(try records.map { try heatmap($0, scoreLimit: scoreLimit) }, sequence: sequence, scoreLimit: scoreLimit,
                            method: method, model: PictureOutput.slug(modelName))
    }

    /// The page of one explanation (`explain --out FILE.html`): its token heatmap.
    static func explanation(_ record: ExplanationRecord, scoreLimit: ScoreLimit) throws -> HTMLPage {
        try explanationPage([try heatmap(record, scoreLimit: scoreLimit)], sequence: nil, scoreLimit: scoreLimit, method: record.method,
                            model: PictureOutput.slug(record.model.name))
    }

    /// Why an image explanation has no page.
    static let textOnly = "pages show text explanations; draw an image explanation as .png, .svg or .pdf"

    /// One method's token heatmap: token labels and raw texts, scores, the score limit and its
    /// legend (the picture's rule), the explained entry and the record's one-line summary.
    private static func heatmap(_ record: ExplanationRecord, scoreLimit: ScoreLimit) throws -> [String: Any] {
        if record.extra.image != nil || record.extra.patches != nil {
            throw JSONField.Problem(detail: textOnly)
        }
        let texts = record.tokens.map(\.text), scores = record.tokens.map(\.score)
        let limit = scoreLimit.limit(for: scores)
        var entry: [String: Any] = [
            "method": record.method, "tokens": texts.map(TokenText.label), "rawTokens": texts, "scores": scores, "limit": limit,
            "legend": scoreLimit.legend(scores: scores, limit: limit).text,
            "summary": ExplanationOutput.summaryLine(record),
        ]
        if let index = record.extra.targetIndex { entry["targetIndex"] = index }
        return entry
    }

    /// The page of a sequence explanation (`explain --generate` / `--continuation`): its targets ×
    /// sources matrix.
    static func sequence(_ record: SequenceExplanationRecord, scoreLimit: ScoreLimit) throws -> HTMLPage {
        try explanationPage([], sequence: .record(record), scoreLimit: scoreLimit, method: record.method,
                            model: PictureOutput.slug(record.model.name))
    }

    /// The explanation page: the token heatmaps `explanations` (built above) and the matrix of
    /// `sequence`, if any.
    private static func explanationPage(_ explanations: [[String: Any]], sequence: SequencePageMatrix?, scoreLimit: ScoreLimit,
                                        method: String, model: String) throws -> HTMLPage {
        var view: [String: Any] = ["explanations": explanations]
        if let sequence { view["sequence"] = try sequence.view(scoreLimit: scoreLimit) }
        return try HTMLPage(kind: .explanation, title: "Explanation (\(method)) · \(model)", view: view)
    }

    // MARK: attention

    /// The attention page from a saved result (`"attention"` indexed layer, head, query, key).
    static func attention(_ object: [String: Any]) throws -> HTMLPage {
        let result = try ResultJSON.attention(object)
        return try attention(labels: result.labels, panels: result.panels, causal: result.causal, neuron: nil,
                             model: ResultJSON.modelLabel(object))
    }

    /// q and k of one layer for the neuron view: `q` `[n, heads, dHead]`, `k` `[n, kvHeads, dHead]`.
    struct NeuronData {
        let layer: Int, heads: Int, kvHeads: Int, dHead: Int
        let q: [Float], k: [Float]
    }

    /// The attention page of `panels` (each `[heads, n, n]`, the same heads in every layer) over
    /// the tokens `labels`.
    static func attention(labels: [String], panels: [ResultFigures.AttentionPanel], causal: Bool,
                          neuron: NeuronData?, model: String) throws -> HTMLPage {
        let data = try panels.map { panel in
            try panel.patterns.storage.withUnsafeBufferPointer {
                try PackedValues.attention($0, heads: panel.heads.count, n: labels.count, causal: causal)
            }
        }
        var view: [String: Any] = ["tokens": labels, "layers": panels.map(\.layer), "heads": panels.first?.heads ?? [],
                                   "causal": causal, "layerData": data]
        if let neuron {
            view["neuron"] = ["layer": neuron.layer, "heads": neuron.heads, "kvHeads": neuron.kvHeads, "dHead": neuron.dHead,
                              "q": PackedValues.float32(neuron.q), "k": PackedValues.float32(neuron.k)]
        }
        return try HTMLPage(kind: .attention, title: "Attention · \(model)", view: view)
    }

    // MARK: lens, patching, evaluation

    /// The lens table: every cell's top-k tokens and probabilities, the target's rank and probability.
    static func lens(_ object: [String: Any]) throws -> HTMLPage {
        let lens = try ResultJSON.lens(object)
        let table = lens.rows.map { row -> [String: Any] in
            ["label": row.label, "cells": row.cells.map { cell -> [String: Any] in
                ["top": cell.top.map { [TokenText.label($0.text), $0.prob] as [Any] },
                 "targetRank": cell.targetRank.map { $0 as Any } ?? NSNull(), "targetProb": cell.targetProb.map { $0 as Any } ?? NSNull()]
            }]
        }
        let site = try JSONField.optionalString(object, "site") ?? "resid"
        return try HTMLPage(kind: .lens, title: "Logit lens (\(site)) · \(ResultJSON.modelLabel(object))", view: [
            "tokens": lens.labels, "positions": lens.positions, "rows": table, "summary": try JSONField.optionalString(object, "readout") ?? "",
        ])
    }

    /// The patching maps, each on its own zero-centred scale as in the picture.
    static func patching(_ object: [String: Any]) throws -> HTMLPage {
        let label = try PatchFigures.valueLabel(object)
        let panels = try PatchFigures.panels(object).map { p -> [String: Any] in
            ["title": p.title, "rows": p.rows, "columns": p.columns, "rowLabels": p.rowLabels, "columnLabels": p.columnLabels,
             "values": p.values.map { $0.isFinite ? Double($0) as Any : NSNull() }, "limit": p.limit, "valueLabel": label]
        }
        let title = try PatchFigures.title(object)
        return try HTMLPage(kind: .patching, title: title, view: ["panels": panels])
    }

    /// The evaluation's mean curves per method and its metrics, read as the picture reads them;
    /// each method that has a panel in the picture carries its colour there (`"colour"`, null for
    /// the random ranking drawn behind the others, in `"randomColour"`).
    static func evaluation(_ object: [String: Any]) throws -> HTMLPage {
        let evaluation = try ResultJSON.evaluation(object)
        var colours = [Any](repeating: NSNull(), count: evaluation.methods.count)
        for (index, color) in EvaluationFigure.panels(evaluation) { colours[index] = ColorTable.css(color) }
        func number(_ value: Double?) -> Any { value.map { $0 as Any } ?? NSNull() }
        let methods = zip(evaluation.methods, colours).map { m, colour -> [String: Any] in
            ["method": m.name, "morf": m.morf, "lerf": m.lerf, "abpc": number(m.abpc), "comprehensiveness": number(m.comprehensiveness),
             "sufficiency": number(m.sufficiency), "colour": colour]
        }
        let inputs = evaluation.inputs ?? 0
        return try HTMLPage(kind: .evaluation, title: "Faithfulness · \(ResultJSON.modelLabel(object))", view: [
            "steps": evaluation.steps, "methods": methods, "randomColour": ColorTable.css(EvaluationFigure.randomColor),
            "summary": "\(inputs) input\(inputs == 1 ? "" : "s"), baseline \(evaluation.baseline ?? "?"); means over inputs",
        ])
    }
}
