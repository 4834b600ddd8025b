import Foundation
import Glassbox

/// The results of `glassbox evaluate` per method: every input's curves and metrics, and the means
/// with bootstrap intervals (docs/methods.md §9).
struct EvaluationReport {
    /// One method's (or the random ranking's) results.
    struct MethodResult {
        let name: String
        /// Per input, in input order.
        var curves: [PerturbationCurves] = []
        var metrics: [FaithfulnessMetrics] = []

        func interval(_ value: (FaithfulnessMetrics) -> Double, seed: UInt64) -> MeanInterval {
            MeanInterval.bootstrap(metrics.map(value), seed: seed)
        }

        /// The mean probability curve over inputs (`morf` or `lerf`).
        func meanCurve(_ which: KeyPath<PerturbationCurves, PerturbationCurve>) -> [Double] {
            guard let first = curves.first else { return [] }
            return first[keyPath: which].probabilities.indices.map { j in
                curves.reduce(0.0) { $0 + Double($1[keyPath: which].probabilities[j]) } / Double(curves.count)
            }
        }
    }

    var methods: [MethodResult]
    /// Per evaluated input: its origin, text, target and unit count.
    var inputs: [[String: Any]] = []
    let steps: Int
    let baseline: String
    /// `probability`, or `similarity` for similarity pairs: what the curves hold.
    var quantity = "probability"
    /// `sigmoid` when the probability is `σ(z_label)` (multi-label and one-output classifiers; JSON
    /// `"scores"`), nil for a softmax or a similarity.
    var scores: String?
    let bootstrapSeed: UInt64 = 0
    var randomization: RandomizationCheck.Result?

    /// A Float as the JSON number with the fewest digits that reads back as the same Float (keeps
    /// result files about half the size of the full Double expansion).
    static func number(_ value: Float) -> Double { value.shortestDecimal }

    func json(model: [String: Any], protocolInfo: [String: Any]) -> [String: Any] {
        var object: [String: Any] = [
            "glassbox": GlassboxVersion.string, "model": model, "command": "evaluate", "baseline": baseline,
            "steps": PerturbationSchedule.fractions(steps: steps), "protocol": protocolInfo, "inputs": inputs,
            "quantity": quantity,
        ]
        if let scores { object["scores"] = scores }
        object["methods"] = methods.map { m -> [String: Any] in
            let abpc = m.interval(\.abpc, seed: bootstrapSeed)
            let comp = m.interval(\.comprehensiveness, seed: bootstrapSeed)
            let suff = m.interval(\.sufficiency, seed: bootstrapSeed)
            return [
                "method": m.name, "abpc": abpc.mean, "abpcInterval": [abpc.lower, abpc.upper],
                "comprehensiveness": comp.mean, "comprehensivenessInterval": [comp.lower, comp.upper],
                "sufficiency": suff.mean, "sufficiencyInterval": [suff.lower, suff.upper],
                "morf": m.meanCurve(\.morf), "lerf": m.meanCurve(\.lerf),
                "inputs": zip(m.curves, m.metrics).map { c, x -> [String: Any] in
                    ["morf": c.morf.probabilities.map(Self.number), "lerf": c.lerf.probabilities.map(Self.number),
                     "morfLogit": c.morf.values.map(Self.number), "lerfLogit": c.lerf.values.map(Self.number),
                     "counts": c.counts, "abpc": x.abpc, "comprehensiveness": x.comprehensiveness, "sufficiency": x.sufficiency]
                },
            ]
        }
        if let randomization {
            object["randomization"] = [
                "stages": randomization.stages, "threshold": randomization.threshold,
                "methods": randomization.methods.map { m -> [String: Any] in
                    ["method": m.method, "correlations": m.correlations.map { $0.isNaN ? NSNull() : $0 as Any }, "flagged": m.flagged]
                },
            ]
        }
        return object
    }

    /// The table printed on stdout: methods by ABPC, best first.
    func table(header: String) -> String {
        var lines = [header]
        lines.append("  method        ABPC ↑ [95% CI]              comprehensiveness ↑ [95% CI]  sufficiency ↓ [95% CI]")
        let rows = methods.map { m in
            (m, m.interval(\.abpc, seed: bootstrapSeed), m.interval(\.comprehensiveness, seed: bootstrapSeed),
             m.interval(\.sufficiency, seed: bootstrapSeed))
        }.sorted { $0.1.mean > $1.1.mean }
        func cell(_ x: MeanInterval) -> String {
            String(format: "%+.4f [%+.4f, %+.4f]", x.mean, x.lower, x.upper)
        }
        for (m, abpc, comp, suff) in rows {
            lines.append("  " + m.name.padding(toLength: 12, withPad: " ", startingAt: 0) + "  " + cell(abpc) + "    "
                         + cell(comp) + "    " + cell(suff))
        }
        if let randomization {
            lines.append("")
            lines.append("randomisation check (Adebayo et al. 2018): Spearman ρ with the original scores, top blocks randomised")
            lines.append("  method        " + randomization.stages.map { String(format: "%6@", "top \($0)" as NSString) }.joined(separator: "  "))
            for m in randomization.methods {
                let cells = m.correlations.map { $0.isNaN ? "   n/a" : String(format: "%+6.3f", $0) }.joined(separator: "  ")
                lines.append("  " + m.method.padding(toLength: 12, withPad: " ", startingAt: 0) + "  " + cells
                             + (m.flagged ? "  ← unchanged (ρ ≥ \(randomization.threshold)): insensitive to the model" : ""))
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// The picture of an `evaluate` result: mean MoRF (solid) and LeRF (dashed) probability curves
/// per method, one colour per method, the random ranking in grey behind them. Drawn from the JSON
/// object (read by `ResultJSON.evaluation`, as the page is), so `glassbox render` redraws it
/// without the model.
enum EvaluationFigure {
    /// The random ranking's curves behind each method's.
    static let randomColor = RGBA(0.62, 0.62, 0.62)

    /// The methods that get a panel, as indices into `evaluation.methods`, each with its colour:
    /// every method but the random ranking (unless it is the only one, then in near-black), in
    /// order, taking category10's colours (`Palette.color`) in turn and skipping its grey (index 7),
    /// kept for the random ranking. The page colours its panels with these too.
    static func panels(_ evaluation: ResultJSON.Evaluation) -> [(method: Int, color: RGBA)] {
        var colorIndex = 0
        var panels: [(method: Int, color: RGBA)] = []
        for (i, method) in evaluation.methods.enumerated() where method.name != "random" || evaluation.methods.count == 1 {
            if colorIndex == 7 { colorIndex += 1 }
            panels.append((i, method.name == "random" ? RGBA(0.1, 0.1, 0.1) : Palette.color(colorIndex)))
            colorIndex += 1
        }
        return panels
    }

    /// Small multiples: one panel per method with its mean MoRF (solid) and LeRF (dashed) curves,
    /// the random ranking's two curves in grey behind them, and the method's ABPC in the panel's
    /// title; every panel on the same y range.
    static func figure(_ object: [String: Any]) throws -> LineChartGrid {
        let evaluation = try ResultJSON.evaluation(object)
        let fractions = evaluation.steps
        let all = evaluation.methods.flatMap { $0.morf + $0.lerf }.filter(\.isFinite)
        let low = min(0, all.min() ?? 0), high = max(all.max() ?? 1, low + 1e-6)
        let random = evaluation.random
        var panels: [LineChart] = []
        for (index, color) in Self.panels(evaluation) {
            let curve = evaluation.methods[index]
            var series: [LineChart.Series] = []
            if let random, curve.name != "random" {
                series.append(LineChart.Series(name: "random MoRF", values: random.morf, x: fractions, color: randomColor))
                series.append(LineChart.Series(name: "random LeRF", values: random.lerf, x: fractions, color: randomColor, dashed: true))
            }
            series.append(LineChart.Series(name: "MoRF", values: curve.morf, x: fractions, color: color))
            series.append(LineChart.Series(name: "LeRF", values: curve.lerf, x: fractions, color: color, dashed: true))
            let abpc = curve.abpc.map { String(format: " · ABPC %+.3f", $0) } ?? ""
            panels.append(LineChart(series: series, title: curve.name + abpc, xLabel: "fraction removed",
                                    yLabel: evaluation.similarity ? "similarity"
                                        : evaluation.sigmoid ? "target probability (sigmoid)" : "target probability",
                                    yRange: low...high, plotWidth: 240, plotHeight: 150))
        }
        let model = ResultJSON.modelLabel(object)
        let count = evaluation.inputs
        let title = "Perturbation curves (means) · \(model)\(count.map { " · \($0) input\($0 == 1 ? "" : "s")" } ?? "") · baseline \(evaluation.baseline ?? "?")"
        return LineChartGrid(panels: panels, columns: 3, title: title)
    }
}
