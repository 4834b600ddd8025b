import Foundation
import Glassbox

/// The pictures of `patch` results, drawn from the JSON object (so `render` redraws them): one
/// heatmap panel per map, layers down the side, positions (token texts) or heads along the bottom,
/// a diverging colour scale centred on 0. `[layer, head, position]` maps put one row per
/// (layer, head).
enum PatchFigures {
    static func figure(_ object: [String: Any]) throws -> any Figure {
        let panels = try self.panels(object).map { p in
            AttentionMatrix(weights: try ScoreMatrix(rows: p.rows, columns: p.columns, values: p.values),
                            rowLabels: p.rowLabels, columnLabels: p.columnLabels, title: p.title,
                            colorScale: .diverging(limit: p.limit), rowAxisTitle: p.rowAxisTitle,
                            columnAxisTitle: p.columnAxisTitle, valueLabel: "normalised effect")
        }
        return HeatmapPanels(panels: panels, title: try title(object))
    }

    /// One map of a patching result, ready to draw: row-major values, labels, a zero-centred limit.
    struct Panel {
        let title: String
        let rows: Int, columns: Int
        let rowLabels: [String], columnLabels: [String]
        let values: [Float]
        let limit: Double
        let rowAxisTitle: String, columnAxisTitle: String
    }

    /// The maps of a `patch`, `trace` or `path` result (what the picture and the page show).
    static func panels(_ object: [String: Any]) throws -> [Panel] {
        let tokens = try ResultJSON.tokenLabels(object)
        let results = try JSONField.objects(object, "results")
        guard !results.isEmpty else { throw JSONField.Problem(detail: "'results' is empty") }
        return try results.map { entry -> Panel in
            let site = try JSONField.string(entry, "site")
            let axes = try value(entry, "axes", [String].self, "a list of axis names")
            let (values, shape) = try flatten(entry["values"], site: site)
            guard shape.count == axes.count, shape.count >= 1 else {
                throw JSONField.Problem(detail: "'\(site)' values have \(shape.count) axes but 'axes' names \(axes.count)")
            }
            let rows = shape.count == 3 ? shape[0] * shape[1] : (shape.count == 2 ? shape[0] : 1)
            let columns = shape.last!
            func labels(_ axis: String, _ count: Int) throws -> [String] {
                switch axis {
                case "position":
                    guard count == tokens.count else { throw JSONField.Problem(detail: "'\(site)' has \(count) positions but \(tokens.count) tokens") }
                    return tokens
                case "layer": return (0..<count).map { "L\($0)" }
                case "head": return (0..<count).map { "H\($0)" }
                default: return (0..<count).map { "\(axis) \($0)" }
                }
            }
            let rowLabels: [String] = shape.count == 3
                ? (0..<shape[0]).flatMap { l in (0..<shape[1]).map { "L\(l).H\($0)" } }
                : shape.count == 2 ? try labels(axes[0], shape[0]) : [site]
            let limit = max(values.map { abs(Double($0)) }.filter(\.isFinite).max() ?? 1, 1e-6)
            return Panel(title: TokenText.visible("\(site) [\(axes.joined(separator: " × "))]"), rows: rows, columns: columns, rowLabels: rowLabels,
                         columnLabels: try labels(axes.last!, columns), values: values, limit: limit,
                         rowAxisTitle: shape.count == 3 ? "layer.head" : axes[0], columnAxisTitle: axes.last!)
        }
    }

    /// The picture's title: the method, direction and metric with the tokens it reads.
    static func title(_ object: [String: Any]) throws -> String {
        let metric = try JSONField.object(object, "metric")
        let model = try ResultJSON.modelName(object)
        let method = try JSONField.string(object, "method"), direction = try JSONField.string(object, "direction")
        // The metric with the tokens it reads: logit_diff " king" − " lord", prob " king", kl.
        // (spaces inside a token become no-break spaces, so a wrapped title never splits a token from its quotes)
        func token(_ key: String) -> String? {
            ((metric[key] as? [String: Any])?["text"] as? String).map { "“\($0.replacingOccurrences(of: " ", with: "\u{00A0}"))”" }
        }
        let read = [token("answer"), token("wrong")].compactMap { $0 }.joined(separator: " − ")
        let values = String(format: "%@%@: clean %.3g, corrupted %.3g", try JSONField.string(metric, "name"),
                            read.isEmpty ? "" : " " + read, try JSONField.double(metric, "clean"), try JSONField.double(metric, "corrupted"))
        let title = switch try JSONField.string(object, "command") {
        case "trace": "Causal tracing (restored p of the answer, normalised), \(values) · \(model)"
        case "path": "Path patching from each head to \((object["receivers"] as? [String])?.joined(separator: ", ") ?? "the receivers"), \(values) · \(model)"
        default: "\(method) patching (\(direction)), \(values) · \(model)"
        }
        return TokenText.visible(title)               // controls and bidi overrides from the file shown, not obeyed
    }

    private static func value<T>(_ o: [String: Any], _ key: String, _ type: T.Type, _ what: String) throws -> T {
        try JSONField.value(o, key, type, what)
    }

    /// Nested arrays of numbers → row-major values and shape.
    static func flatten(_ raw: Any?, site: String) throws -> ([Float], [Int]) {
        guard let raw else { throw JSONField.Problem(detail: "'\(site)' has no 'values'") }
        if let numbers = raw as? [Double] { return (numbers.map(Float.init), [numbers.count]) }
        guard let list = raw as? [Any], !list.isEmpty else { throw JSONField.Problem(detail: "'\(site)' values are not nested lists of numbers") }
        var values: [Float] = []
        var inner: [Int]? = nil
        for item in list {
            let (v, s) = try flatten(item, site: site)
            if let inner, inner != s { throw JSONField.Problem(detail: "'\(site)' values are ragged") }
            inner = s
            values += v
        }
        return (values, [list.count] + (inner ?? []))
    }
}
