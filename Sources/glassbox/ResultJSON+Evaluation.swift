import Foundation
import Glassbox

extension ResultJSON {
    /// An `evaluate --json` result as the picture (`EvaluationFigure`) and the page
    /// (`ResultPages.evaluation`) both read it.
    struct Evaluation {
        /// One method's (or the random ranking's) means over the inputs.
        struct Method {
            /// The method as the CLI spells it; `random` for the random ranking.
            let name: String
            /// The mean metrics, when the result has them.
            let abpc: Double?, comprehensiveness: Double?, sufficiency: Double?
            /// The mean MoRF and LeRF curves, one value per step.
            let morf: [Double], lerf: [Double]
        }

        /// The fraction of units removed at each step.
        let steps: [Double]
        /// The methods in the result's order (at least one).
        let methods: [Method]
        /// How many inputs were evaluated (the length of `"inputs"`), when the result lists them.
        let inputs: Int?
        /// The baseline the removed units were replaced with, when the result names it.
        let baseline: String?
        /// Whether the curves hold similarities (similarity pairs) rather than target probabilities.
        let similarity: Bool

        /// The random ranking, when the result has it.
        var random: Method? { methods.first { $0.name == "random" } }
    }

    /// Reads an `evaluate --json` result: every step and curve value a number, each curve one value
    /// per step, at least one method; anything else is a `Problem`.
    static func evaluation(_ object: [String: Any]) throws -> Evaluation {
        let steps = try JSONField.value(object, "steps", [Any].self, "a list").map { value -> Double in
            guard let number = value as? NSNumber else { throw JSONField.Problem(detail: "'steps' holds a non-number") }
            return number.doubleValue
        }
        let methods = try JSONField.objects(object, "methods").map { method -> Evaluation.Method in
            let name = try JSONField.string(method, "method")
            func values(_ key: String) throws -> [Double] {
                let values = try JSONField.value(method, key, [Any].self, "a list").map { value -> Double in
                    guard let number = value as? NSNumber else { throw JSONField.Problem(detail: "'\(key)' of \(name) holds a non-number") }
                    return number.doubleValue
                }
                guard values.count == steps.count else {
                    throw JSONField.Problem(detail: "'\(key)' of \(name) has \(values.count) values for \(steps.count) steps")
                }
                return values
            }
            func metric(_ key: String) -> Double? { (method[key] as? NSNumber)?.doubleValue }
            return Evaluation.Method(name: name, abpc: metric("abpc"), comprehensiveness: metric("comprehensiveness"),
                                     sufficiency: metric("sufficiency"), morf: try values("morf"), lerf: try values("lerf"))
        }
        guard !methods.isEmpty else { throw JSONField.Problem(detail: "'methods' is empty") }
        return Evaluation(steps: steps, methods: methods, inputs: (object["inputs"] as? [Any])?.count,
                          baseline: object["baseline"] as? String, similarity: (object["quantity"] as? String) == "similarity")
    }
}
