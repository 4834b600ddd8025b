import Foundation
import Glassbox

/// The pictures of `patch` results, drawn from the JSON object (so `render` redraws them): one
/// heatmap panel per map, layers down the side, positions (token texts) or heads along the bottom,
/// a diverging colour scale centred on 0. `[layer, head, position]` maps put one row per
/// (layer, head).
enum PatchFigures {
    static func figure(_ object: [String: Any]) throws -> any Figure {
        let label = try valueLabel(object)
        let panels = try self.panels(object).map { p in
            AttentionMatrix(weights: try ScoreMatrix(rows: p.rows, columns: p.columns, values: p.values),
                            rowLabels: p.rowLabels, columnLabels: p.columnLabels, title: p.title,
                            colorScale: .diverging(limit: p.limit), rowAxisTitle: p.rowAxisTitle,
                            columnAxisTitle: p.columnAxisTitle, valueLabel: label)
        }
        return HeatmapPanels(panels: panels, title: try title(object))
    }

    /// What the colour bar's values are: the normalised effect of exact patching, tracing and path
    /// patching, or, for `atp` and `atp*`, the attribution-patching estimate of it (docs/cli.md).
    static func valueLabel(_ object: [String: Any]) throws -> String {
        ["atp", "atp*"].contains(try JSONField.string(object, "method")) ? "estimated normalised effect" : "normalised effect"
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
        return try results.enumerated().map { index, entry -> Panel in
            let site = try JSONField.string(entry, "site")
            let axes = try value(entry, "axes", [String].self, "a list of axis names")
            let (values, shape) = try flatten(entry["values"], place: "results[\(index)].values", site: site)
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
        func token(_ key: String) throws -> String? {
            guard let raw = metric[key] else { return nil }
            guard let entry = raw as? [String: Any] else { throw JSONField.mismatch(raw, at: "metric.\(key)", expected: "an object") }
            return try JSONField.optionalString(entry, "text").map { "“\($0.replacingOccurrences(of: " ", with: "\u{00A0}"))”" }
        }
        let read = [try token("answer"), try token("wrong")].compactMap { $0 }.joined(separator: " − ")
        let command = try JSONField.string(object, "command")
        // Causal tracing noises the clean input; its "corrupted" metric is the noised run's.
        let values = String(format: "%@%@: clean %.3g, %@ %.3g", try JSONField.string(metric, "name"),
                            read.isEmpty ? "" : " " + read, try JSONField.double(metric, "clean"),
                            command == "trace" ? "noised" : "corrupted", try JSONField.double(metric, "corrupted"))
        let title = switch command {
        case "trace": "Causal tracing (restored p of the answer, normalised), \(values) · \(model)"
        case "path": "Path patching from each head to \(try receivers(object)?.joined(separator: ", ") ?? "the receivers"), \(values) · \(model)"
        default: "\(method) patching (\(direction)), \(values) · \(model)"
        }
        return TokenText.visible(title)               // controls and bidi overrides from the file shown, not obeyed
    }

    /// A path result's `"receivers"` (names such as `3.1.q` or `resid`), when it lists them.
    private static func receivers(_ object: [String: Any]) throws -> [String]? {
        try object["receivers"].map { raw in
            guard let names = raw as? [String] else { throw JSONField.mismatch(raw, at: "receivers", expected: "a list of strings") }
            return names
        }
    }

    private static func value<T>(_ o: [String: Any], _ key: String, _ type: T.Type, _ what: String) throws -> T {
        try JSONField.value(o, key, type, what)
    }

    /// Nested lists of numbers at `place` (`results[0].values`, `attention[1]`) → row-major
    /// float32 values and shape, `site` naming the map in the shape messages. Each number is read
    /// by `JSONField.float` (a boolean, null or string is refused, and so is a number beyond
    /// float32's range), its place named with its indices (`results[0].values[3][7]`), `what`
    /// naming the kind of number (`value`, `weight`).
    static func flatten(_ raw: Any?, place: String, site: String, what: String = "value") throws -> ([Float], [Int]) {
        guard let raw else { throw JSONField.Problem(detail: "'\(site)' has no 'values'") }
        guard raw is [Any] else { throw JSONField.Problem(detail: "'\(site)' values are not nested lists of numbers") }
        var values: [Float] = [], indices: [Int] = []
        /// The shape of `item` (`[]` for a number), its numbers appended to `values`.
        func walk(_ item: Any) throws -> [Int] {
            guard let list = item as? [Any] else {
                values.append(try JSONField.float(item, at: place + indices.map { "[\($0)]" }.joined(), what: what))
                return []
            }
            var inner: [Int]? = nil
            for (i, element) in list.enumerated() {
                indices.append(i)
                let shape = try walk(element)
                indices.removeLast()
                if let inner, inner != shape { throw JSONField.Problem(detail: "'\(site)' values are ragged") }
                inner = shape
            }
            return [list.count] + (inner ?? [])
        }
        let shape = try walk(raw)
        return (values, shape)
    }
}
