import Foundation
import Glassbox

/// The `--json` object of `patch` (the shape the issue fixes; `render` reads it back) and the
/// plain-text summary.
enum PatchJSON {
    static func object(_ result: PatchingResult, loaded: LoadedModel, clean: PatchSide, corrupted: PatchSide,
                       texts: [Int: String]) -> [String: Any] {
        var metric: [String: Any] = ["name": result.metric.name, "clean": Double(result.cleanMetric),
                                     "corrupted": Double(result.corruptedMetric), "position": result.position]
        switch result.metric {
        case .logitDiff(let a, let w):
            metric["answer"] = ["id": a, "text": texts[a] ?? loaded.text(a)]
            metric["wrong"] = ["id": w, "text": texts[w] ?? loaded.text(w)]
        case .logProb(let a), .prob(let a): metric["answer"] = ["id": a, "text": texts[a] ?? loaded.text(a)]
        case .kl: break
        }
        if readsSigmoid(result.metric, loaded) { metric["scores"] = "sigmoid" }
        var object: [String: Any] = [
            "glassbox": GlassboxVersion.string, "command": "patch", "model": loaded.jsonDescription,
            "method": result.method.rawValue, "direction": result.direction.rawValue, "metric": metric,
            "tokens": clean.jsonTokens, "corruptedTokens": corrupted.jsonTokens,
            "firstDifference": result.firstDifference,
            "results": result.maps.map { map in
                var entry: [String: Any] = ["site": map.site, "axes": map.axes, "values": nested(map.effect, map.shape),
                                            "raw": nested(map.raw, map.shape)]
                if let ranking = map.ranking { entry["ranking"] = nested(ranking, map.shape) }
                return entry
            },
        ]
        if !result.agreement.isEmpty {
            object["agreement"] = result.agreement.map {
                ["site": $0.site, "pearson": Double($0.pearson), "k": $0.k, "topKOverlap": Double($0.topKOverlap)] as [String: Any]
            }
        }
        return object
    }

    /// Whether `metric` reads the answer's probability as `σ(z_answer)`: `prob` or `logprob` on a
    /// multi-label or one-output classifier (JSON `"scores": "sigmoid"`, text "prob (sigmoid)").
    static func readsSigmoid(_ metric: PatchingMetric, _ loaded: LoadedModel) -> Bool {
        switch metric {
        case .prob, .logProb: loaded.model.architecture.classScores == .sigmoid
        case .logitDiff, .kl: false
        }
    }

    /// The metric's name for text output: `prob (sigmoid)` / `logprob (sigmoid)` when `sigmoid`.
    static func metricName(_ metric: PatchingMetric, sigmoid: Bool) -> String {
        metric.name + (sigmoid ? " (sigmoid)" : "")
    }

    /// Row-major `values` as nested arrays of `shape`.
    static func nested(_ values: [Float], _ shape: [Int]) -> Any {
        guard shape.count > 1 else { return values.map(Double.init) }
        let inner = shape.dropFirst().reduce(1, *)
        return (0..<shape[0]).map { nested(Array(values[($0 * inner)..<(($0 + 1) * inner)]), Array(shape.dropFirst())) }
    }

    /// A few lines: the metric on both runs and the strongest sites of each map (by |effect|, or for
    /// AtP* with GradDrop by |ranking|, printing both the ranking score and the estimate).
    /// `sigmoid`: the metric reads `σ(z_answer)` (`readsSigmoid`), named so.
    static func summary(_ result: PatchingResult, texts: [Int: String], title: String? = nil, sigmoid: Bool = false) -> String {
        var lines = [String(format: "%@, %@ at position %d: clean %.4f, corrupted %.4f",
                            title ?? "\(result.method.rawValue) patching (\(result.direction.rawValue))",
                            metricName(result.metric, sigmoid: sigmoid),
                            result.position, result.cleanMetric, result.corruptedMetric)]
        for map in result.maps {
            let key = map.ranking ?? map.effect
            let order = key.indices.sorted { abs(key[$0]) > abs(key[$1]) }.prefix(3)
            let top = order.map { i -> String in
                var rest = i, index: [Int] = []
                for size in map.shape.reversed() { index.insert(rest % size, at: 0); rest /= size }
                let where_ = zip(map.axes, index).map { "\($0.0.prefix(1))\($0.1)" }.joined(separator: " ")
                return map.ranking == nil ? String(format: "%@ %.3f", where_, map.effect[i])
                    : String(format: "%@ %.3f (estimate %.3f)", where_, key[i], map.effect[i])
            }
            let heading = map.ranking == nil ? "strongest" : "strongest by GradDrop ranking (a score, not an effect):"
            lines.append("  \(map.site) [\(map.axes.joined(separator: " × "))]: \(heading) \(top.joined(separator: ", "))")
        }
        for a in result.agreement {
            lines.append(String(format: "  agreement with exact, %@: Pearson %.3f, top-%d overlap %.2f", a.site, a.pearson, a.k, a.topKOverlap))
        }
        return lines.joined(separator: "\n")
    }
}
