import Foundation
import Glassbox

/// `glassbox verify`'s output: the human table on stdout, the `--json` object, and the one-line
/// detail of a failing check.
struct VerifyRendering {
    /// The input as the output describes it.
    struct InputDescription {
        var ids: [Int]?
        var texts: [String] = []
        var pixelShape: [Int]? = nil
        var source: String
    }

    let report: Verification.Report
    let loaded: LoadedModel
    let input: InputDescription
    let referencePath: String?

    // MARK: text

    func printText() {
        let arch = loaded.model.architecture
        print("model  \(loaded.directory.url.path) (\(arch.modelType), \(arch.layers) layers, d \(arch.dModel))")
        if let ids = input.ids {
            print("input  \(ids.count) tokens from \(input.source): " + zip(ids, input.texts).map { "\($0)=\($1.debugDescription)" }.joined(separator: " "))
        } else {
            print("input  pixels \(input.pixelShape ?? []) from \(input.source)")
        }
        print("")
        print(pad("check", 13) + pad("result", 8) + "detail")
        for check in report.checks {
            print(pad(check.rawValue, 13) + pad(report.passed(check) ? "pass" : "FAIL", 8) + summary(check))
        }
        printConservation()
        printGradient()
        if let comparison = report.reference { printReference(comparison) }
        print("")
        print(report.passed ? "all \(report.checks.count) checks passed"
              : "failed: " + report.failures.map(\.rawValue).joined(separator: ", "))
    }

    private func printConservation() {
        let c = report.conservation, b = c.budget
        print("")
        print("conservation (\(c.method.rawValue), \(c.target.objective) \(targetText(c.target))):")
        let rows: [(String, Double)] = [("explained", b.explained), ("inputs", b.inputs), ("biases", b.biases),
                                        ("softmax", b.softmax), ("gamma rule", b.gammaRule), ("unaccounted", b.unaccounted)]
        for (name, value) in rows {
            print("  " + pad(name, 13) + String(format: "%14.6g  %8.3f%%", value, 100 * b.share(value)))
        }
    }

    private func printGradient() {
        let g = report.gradient
        print("")
        print("gradient (\(g.objective), central differences, step \(format(g.step)) × the row's RMS; errors relative to max |∂f/∂e| \(format(g.scale))):")
        print("  " + pad("position", 10) + pad("dim", 6) + pad("sweep", 14) + pad("difference", 14) + pad("step", 10) + pad("h", 12) + "error")
        for c in g.coordinates {
            print("  " + pad("\(c.position)", 10) + pad("\(c.dimension)", 6) + pad(format(c.analytic), 14)
                  + pad(format(c.numeric), 14) + pad(format(c.step), 10) + pad(format(c.increment), 12) + format(c.error))
        }
    }

    private func printReference(_ comparison: TraceComparison) {
        print("")
        print("reference \(referencePath ?? "") (per hook: |Δ| ≤ \(format(comparison.tolerance.absolute)) + \(format(comparison.tolerance.relative)) · max |reference|):")
        print("  " + pad("hook", 34) + pad("shape", 16) + pad("max |Δ|", 12) + pad("at", 16) + pad("ours", 15) + pad("reference", 15) + "ok")
        for row in comparison.rows {
            let shape = row.shape.map { "\($0)" } ?? "missing"
            let shapeText = row.shape == nil || row.shape == row.referenceShape ? shape : "\(shape)≠\(row.referenceShape)"
            print("  " + pad(row.hook, 34) + pad(shapeText, 16) + pad(row.maxDifference.map(format) ?? "-", 12)
                  + pad(row.index.map { "\($0)" } ?? "-", 16) + pad(row.values.map { precise($0.ours) } ?? "-", 15)
                  + pad(row.values.map { precise($0.reference) } ?? "-", 15) + (row.passed ? "ok" : "FAIL"))
        }
        if !comparison.unchecked.isEmpty {
            print("  not in the reference (unchecked): " + comparison.unchecked.joined(separator: ", "))
        }
    }

    /// One line per check for the table.
    func summary(_ check: Verification.Check) -> String {
        switch check {
        case .finite:
            let f = report.finite
            guard let first = f.findings.first else { return "\(f.hooksChecked) hooks, \(f.valuesChecked) values: no NaN or ±Inf" }
            return "\(f.findings.count) hook(s) hold NaN or ±Inf; first \(first.hook) (\(first.count) of \(first.total))"
        case .conservation:
            let c = report.conservation, b = c.budget
            return "\(c.target.objective) \(format(b.explained)) = inputs \(percent(b.share(b.inputs))) + biases \(percent(b.share(b.biases)))"
                + " + softmax \(percent(b.share(b.softmax)))" + (b.gammaRule != 0 ? " + gamma rule \(percent(b.share(b.gammaRule)))" : "")
                + "; unaccounted \(format(c.relativeRemainder)) of the budget (≤ \(format(c.tolerance)))"
        case .gradient:
            let g = report.gradient
            return "\(g.coordinates.count) coordinates, step \(format(g.step)): max error \(format(g.maxError)) of max |∂f/∂e| (≤ \(format(g.tolerance)))"
        case .determinism:
            let d = report.determinism
            let threads = d.threads.map(String.init).joined(separator: " vs ")
            return "threads \(threads): " + (d.identical ? "identical"
                : "max relative difference \(format(d.maxRelativeDifference)) at \(d.worst ?? "?") (≤ \(format(d.tolerance)))")
        case .reference:
            guard let r = report.reference else { return "no trace" }
            if let first = r.firstFailure { return "\(r.rows.filter { !$0.passed }.count) of \(r.rows.count) hooks differ; first " + rowDetail(first) }
            let worst = r.rows.compactMap(\.maxDifference).max() ?? 0
            return "\(r.rows.count) hooks agree (largest |Δ| \(format(worst)))"
        }
    }

    /// The one-line reason a check failed (for the error line).
    func failureDetail(_ check: Verification.Check) -> String {
        switch check {
        case .reference:
            guard let first = report.reference?.firstFailure else { return summary(check) }
            return "first diverging hook " + rowDetail(first)
        default:
            return summary(check)
        }
    }

    private func rowDetail(_ row: TraceComparison.Row) -> String {
        guard let shape = row.shape else { return "\(row.hook): not fired by this model (reference shape \(row.referenceShape))" }
        guard let difference = row.maxDifference, let index = row.index, let values = row.values else {
            return "\(row.hook): shape \(shape), reference \(row.referenceShape)"
        }
        return "\(row.hook) \(shape): max |Δ| \(format(difference)) at \(index) (ours \(format(values.ours)), reference \(format(values.reference))), allowed \(format(row.allowed))"
    }

    private func targetText(_ t: ExplainedTarget) -> String {
        t.ids.isEmpty ? "" : "id \(t.ids.map(String.init).joined(separator: ",")) at position \(t.position)"
    }

    // MARK: JSON

    var json: [String: Any] {
        var checks: [String: Any] = [:]
        let f = report.finite
        checks["finite"] = ["passed": f.passed, "hooks": f.hooksChecked, "values": f.valuesChecked,
                            "findings": f.findings.map { ["hook": $0.hook, "count": $0.count, "total": $0.total] }]
        let c = report.conservation, b = c.budget
        checks["conservation"] = [
            "passed": c.passed, "method": c.method.rawValue,
            "target": ["objective": c.target.objective, "position": c.target.position, "ids": c.target.ids, "value": number(c.target.value)],
            "explained": number(b.explained), "inputs": number(b.inputs), "biases": number(b.biases), "softmax": number(b.softmax),
            "gammaRule": number(b.gammaRule), "unaccounted": number(b.unaccounted),
            "shares": ["inputs": number(b.share(b.inputs)), "biases": number(b.share(b.biases)),
                       "softmax": number(b.share(b.softmax)), "gammaRule": number(b.share(b.gammaRule))],
            "relativeRemainder": number(c.relativeRemainder), "tolerance": c.tolerance,
        ] as [String: Any]
        let g = report.gradient
        checks["gradient"] = [
            "passed": g.passed, "objective": g.objective, "step": g.step.shortestDecimal, "scale": number(g.scale),
            "tolerance": g.tolerance.shortestDecimal,
            "maxError": number(g.maxError),
            "coordinates": g.coordinates.map { ["position": $0.position, "dimension": $0.dimension, "analytic": number($0.analytic),
                                                 "numeric": number($0.numeric), "error": number($0.error), "step": $0.step.shortestDecimal,
                                                 "increment": number($0.increment)] as [String: Any] },
        ] as [String: Any]
        let d = report.determinism
        checks["determinism"] = ["passed": d.passed, "threads": d.threads, "identical": d.identical,
                                 "maxRelativeDifference": number(d.maxRelativeDifference), "worst": d.worst ?? NSNull(),
                                 "tolerance": d.tolerance.shortestDecimal] as [String: Any]
        if let r = report.reference {
            checks["reference"] = [
                "passed": r.passed, "file": referencePath ?? NSNull(),
                "tolerance": ["absolute": r.tolerance.absolute.shortestDecimal, "relative": r.tolerance.relative.shortestDecimal],
                "firstFailure": r.firstFailure?.hook ?? NSNull(), "unchecked": r.unchecked,
                "hooks": r.rows.map { row in
                    ["hook": row.hook, "shape": row.shape ?? NSNull(), "referenceShape": row.referenceShape,
                     "maxDifference": row.maxDifference.map(number) ?? NSNull(), "index": row.index ?? NSNull(),
                     "ours": row.values.map { number($0.ours) } ?? NSNull(), "reference": row.values.map { number($0.reference) } ?? NSNull(),
                     "allowed": number(row.allowed), "passed": row.passed] as [String: Any]
                },
            ] as [String: Any]
        }
        var inputObject: [String: Any] = ["source": input.source]
        if let ids = input.ids { inputObject["ids"] = ids } else { inputObject["pixelShape"] = input.pixelShape ?? [] }
        return ["glassbox": GlassboxVersion.string, "command": "verify", "model": loaded.jsonDescription, "input": inputObject,
                "passed": report.passed, "failed": report.failures.map(\.rawValue), "checks": checks]
    }

    /// A JSON number, or the string `inf`, `-inf`, `nan` (JSON has no non-finite numbers).
    private func number<F: BinaryFloatingPoint>(_ x: F) -> Any {
        let v = Double(x)
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return v
    }
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

private func format<F: BinaryFloatingPoint>(_ x: F) -> String { String(format: "%.3g", Double(x)) }

private func percent(_ share: Double) -> String { String(format: "%.1f%%", 100 * share) }

private func precise(_ x: Float) -> String { String(format: "%.7g", Double(x)) }
