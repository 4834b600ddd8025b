import Foundation
import Glassbox

/// The interactive pages (`--out FILE.html`) of explain, attention, lens, patch (trace, path) and
/// evaluate, built from the JSON object each command prints with `--json` — so `glassbox render`
/// builds the same page from a saved result. Colours and scales are the PNGs': the same score
/// limit rule, the same colour maps (docs/html.md).
enum ResultPages {
    /// The commands whose results have a page.
    static let kinds = ["explain", "attention", "lens", "patch", "trace", "path", "evaluate"]

    /// The page of a saved result (dispatching on `"command"`); `more` are further explain results
    /// shown behind a method switch.
    static func page(_ object: [String: Any], scoreLimit: ScoreLimit = .robust, more: [[String: Any]] = []) throws -> HTMLPage {
        switch try JSONField.string(object, "command") {
        case "explain": try explanation([object] + more, scoreLimit: scoreLimit)
        case "attention": try attention(object)
        case "lens": try lens(object)
        case "patch", "trace", "path": try patching(object)
        case "evaluate": try evaluation(object)
        case let other: throw JSONField.Problem(detail: "'\(other)' results have no page; pages show \(kinds.joined(separator: ", "))")
        }
    }

    private static func modelName(_ object: [String: Any]) -> String {
        ((object["model"] as? [String: Any])?["name"] as? String).map(PictureOutput.slug) ?? "model"
    }

    /// A token's text: an object with `"text"` or a plain string.
    private static func text(_ token: Any) throws -> String {
        if let s = token as? String { return s }
        if let o = token as? [String: Any], let s = o["text"] as? String { return s }
        throw JSONField.Problem(detail: "a token is neither text nor an object with \"text\"")
    }

    // MARK: explain

    /// Token heatmaps of one or more explanations of the same input (a method switch), and the
    /// generated-tokens × sources matrix when the first has `"generated"` and `"matrix"`.
    /// `summary` is the record's one-line summary when the caller has the record (else it is
    /// decoded from the object, as `render` must).
    static func explanation(_ objects: [[String: Any]], scoreLimit: ScoreLimit, summary: String? = nil) throws -> HTMLPage {
        var explanations: [[String: Any]] = []
        var sequence: [String: Any]?
        for (i, object) in objects.enumerated() {
            if object["image"] != nil || (object["extra"] as? [String: Any])?["patches"] != nil {
                throw JSONField.Problem(detail: "pages show text explanations; draw an image explanation as .png, .svg or .pdf")
            }
            if let generated = object["generated"], let matrix = object["matrix"] {
                sequence = try sequenceMatrix(generated: generated, matrix: matrix, tokens: object["tokens"], scoreLimit: scoreLimit)
                continue
            }
            let tokens = try JSONField.objects(object, "tokens")
            let texts = try tokens.map { try JSONField.string($0, "text") }
            let scores = try tokens.map { try JSONField.double($0, "score") }
            let limit = scoreLimit.limit(for: scores)
            var entry: [String: Any] = [
                "method": try JSONField.string(object, "method"), "tokens": texts.map(TokenText.label), "rawTokens": texts,
                "scores": scores, "limit": limit,
                "legend": scoreLimit.legend(limit: limit, clipped: ScoreLimit.clippedCount(scores, limit: limit)),
            ]
            if let index = (object["extra"] as? [String: Any])?["targetIndex"] as? Int { entry["targetIndex"] = index }
            if i == 0, let summary {
                entry["summary"] = summary
            } else if let data = try? JSONSerialization.data(withJSONObject: object),
                      let record = try? JSONDecoder().decode(ExplanationRecord.self, from: data) {
                entry["summary"] = ExplanationOutput.summaryLine(record)
            }
            explanations.append(entry)
        }
        guard !explanations.isEmpty || sequence != nil else { throw JSONField.Problem(detail: "no explanation to show") }
        var view: [String: Any] = ["explanations": explanations]
        if let sequence { view["sequence"] = sequence }
        let method = (objects.first?["method"] as? String) ?? "explanation"
        return try HTMLPage(kind: .explanation, title: "Explanation (\(method)) · \(modelName(objects[0]))", view: view)
    }

    /// `{"generated": [{id, text, position, prob, entropy}], "tokens": [...], "matrix": [[…|null]]}`:
    /// one row per generated token, one column per source token, null where a source comes after
    /// the target.
    private static func sequenceMatrix(generated: Any, matrix: Any, tokens: Any?, scoreLimit: ScoreLimit) throws -> [String: Any] {
        guard let generated = generated as? [Any], let rows = matrix as? [Any], let tokens = tokens as? [Any] else {
            throw JSONField.Problem(detail: "'generated', 'matrix' and 'tokens' must be lists")
        }
        let columns = tokens.count
        guard rows.count == generated.count else {
            throw JSONField.Problem(detail: "'matrix' has \(rows.count) rows for \(generated.count) generated tokens")
        }
        var values: [Any] = []
        var finite: [Double] = []
        for (r, row) in rows.enumerated() {
            guard let row = row as? [Any], row.count == columns else {
                throw JSONField.Problem(detail: "'matrix' row \(r) does not have one entry per token (\(columns))")
            }
            var out: [Any] = []
            for v in row {
                if let n = v as? NSNumber, !(v is Bool) { out.append(n.doubleValue); finite.append(n.doubleValue) }
                else if v is NSNull { out.append(NSNull()) }
                else { throw JSONField.Problem(detail: "'matrix' row \(r) holds a value that is neither a number nor null") }
            }
            values.append(out)
        }
        let limit = scoreLimit.limit(for: finite)
        return ["tokens": try tokens.map { TokenText.label(try text($0)) },
                "generated": try generated.map { ["text": TokenText.label(try text($0))] },
                "matrix": values, "limit": limit,
                "legend": scoreLimit.legend(limit: limit, clipped: ScoreLimit.clippedCount(finite, limit: limit), unit: "cell")]
    }

    // MARK: attention

    /// The attention page from a saved result (`"attention"` indexed layer, head, query, key).
    static func attention(_ object: [String: Any]) throws -> HTMLPage {
        let tokens = try JSONField.objects(object, "tokens").map { try JSONField.string($0, "text") }
        let layers = try JSONField.value(object, "layers", [Int].self, "a list of layer numbers")
        let heads = try JSONField.value(object, "heads", [Int].self, "a list of head numbers")
        guard let weights = object["attention"] as? [Any], weights.count == layers.count else {
            throw JSONField.Problem(detail: "'attention' must hold one entry per layer")
        }
        let n = tokens.count
        let patterns = try weights.enumerated().map { l, layer -> [Float] in
            let (values, shape) = try PatchFigures.flatten(layer, site: "attention layer \(layers[l])")
            guard shape == [heads.count, n, n] else {
                throw JSONField.Problem(detail: "attention of layer \(layers[l]) has shape \(shape), expected [\(heads.count), \(n), \(n)]")
            }
            return values
        }
        return try attention(tokens: tokens, layers: layers, heads: heads, causal: object["causal"] as? Bool ?? false,
                             patterns: patterns, neuron: nil, model: modelName(object))
    }

    /// q and k of one layer for the neuron view: `q` `[n, heads, dHead]`, `k` `[n, kvHeads, dHead]`.
    struct NeuronData {
        let layer: Int, heads: Int, kvHeads: Int, dHead: Int
        let q: [Float], k: [Float]
    }

    /// The attention page: `patterns[l]` is `[heads.count, n, n]` row-major for `layers[l]`.
    static func attention(tokens: [String], layers: [Int], heads: [Int], causal: Bool, patterns: [[Float]],
                          neuron: NeuronData?, model: String) throws -> HTMLPage {
        let n = tokens.count
        let data = try patterns.map { p in
            try p.withUnsafeBufferPointer { try PackedValues.attention($0, heads: heads.count, n: n, causal: causal) }
        }
        var view: [String: Any] = ["tokens": tokens.map(TokenText.label), "layers": layers, "heads": heads, "causal": causal,
                                   "layerData": data]
        if let neuron {
            view["neuron"] = ["layer": neuron.layer, "heads": neuron.heads, "kvHeads": neuron.kvHeads, "dHead": neuron.dHead,
                              "q": PackedValues.float32(neuron.q), "k": PackedValues.float32(neuron.k)]
        }
        return try HTMLPage(kind: .attention, title: "Attention · \(model)", view: view)
    }

    // MARK: lens, patching, evaluation

    /// The lens table: every cell's top-k tokens and probabilities, the target's rank and probability.
    static func lens(_ object: [String: Any]) throws -> HTMLPage {
        let tokens = try JSONField.objects(object, "tokens").map { TokenText.label(try JSONField.string($0, "text")) }
        let rows = try JSONField.objects(object, "rows")
        let positions = try rows.first.map { try JSONField.objects($0, "positions").map { try JSONField.int($0, "position") } } ?? []
        guard positions.allSatisfy(tokens.indices.contains) else { throw JSONField.Problem(detail: "a position is outside 'tokens'") }
        let table = try rows.map { row -> [String: Any] in
            ["label": try JSONField.string(row, "label"), "cells": try JSONField.objects(row, "positions").map { cell -> [String: Any] in
                ["top": try JSONField.objects(cell, "top").map { [TokenText.label(try JSONField.string($0, "text")), try JSONField.double($0, "prob")] as [Any] },
                 "targetRank": cell["targetRank"] as? Int as Any? ?? NSNull(),
                 "targetProb": (cell["targetProb"] as? NSNumber)?.doubleValue as Any? ?? NSNull()]
            }]
        }
        let site = (object["site"] as? String) ?? "resid"
        return try HTMLPage(kind: .lens, title: "Logit lens (\(site)) · \(modelName(object))", view: [
            "tokens": tokens, "positions": positions, "rows": table, "summary": (object["readout"] as? String) ?? "",
        ])
    }

    /// The patching maps, each on its own zero-centred scale as in the picture.
    static func patching(_ object: [String: Any]) throws -> HTMLPage {
        let panels = try PatchFigures.panels(object).map { p -> [String: Any] in
            ["title": p.title, "rows": p.rows, "columns": p.columns, "rowLabels": p.rowLabels, "columnLabels": p.columnLabels,
             "values": p.values.map { $0.isFinite ? Double($0) as Any : NSNull() }, "limit": p.limit, "valueLabel": "normalised effect"]
        }
        let title = try PatchFigures.title(object)
        return try HTMLPage(kind: .patching, title: title, view: ["panels": panels])
    }

    /// The evaluation's mean curves per method and its metrics.
    static func evaluation(_ object: [String: Any]) throws -> HTMLPage {
        func numbers(_ o: [String: Any], _ key: String) throws -> [Any] {
            try JSONField.value(o, key, [Any].self, "a list").map { ($0 as? NSNumber).map { $0.doubleValue as Any } ?? NSNull() }
        }
        let methods = try JSONField.objects(object, "methods").map { m -> [String: Any] in
            ["method": try JSONField.string(m, "method"), "morf": try numbers(m, "morf"), "lerf": try numbers(m, "lerf"),
             "abpc": (m["abpc"] as? NSNumber)?.doubleValue as Any? ?? NSNull(),
             "comprehensiveness": (m["comprehensiveness"] as? NSNumber)?.doubleValue as Any? ?? NSNull(),
             "sufficiency": (m["sufficiency"] as? NSNumber)?.doubleValue as Any? ?? NSNull()]
        }
        guard !methods.isEmpty else { throw JSONField.Problem(detail: "'methods' is empty") }
        let inputs = (object["inputs"] as? [Any])?.count ?? 0
        return try HTMLPage(kind: .evaluation, title: "Faithfulness · \(modelName(object))", view: [
            "steps": try numbers(object, "steps"), "methods": methods,
            "summary": "\(inputs) input\(inputs == 1 ? "" : "s"), baseline \((object["baseline"] as? String) ?? "?"); means over inputs",
        ])
    }
}

extension ExplanationRecord {
    /// `data` (a record as `--json` prints it) as a JSON object (what pages are built from).
    static func jsonObject(_ data: Data) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw NonFiniteResult() }
        return object
    }
}
