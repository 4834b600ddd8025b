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
        /// Whether the target probability is the sigmoid of the label's logit (`"scores": "sigmoid"`).
        var sigmoid = false

        /// The random ranking, when the result has it.
        var random: Method? { methods.first { $0.name == "random" } }
    }

    /// Reads an `evaluate --json` result: every step and curve value a number, each curve one value
    /// per step, at least one method; the metrics (`abpc`, `comprehensiveness`, `sufficiency`)
    /// numbers when present (`evaluate` always writes them, never null). Anything else is a
    /// `Problem` naming the key (`methods[0].abpc: expected a number, got a string`).
    static func evaluation(_ object: [String: Any]) throws -> Evaluation {
        let steps = try JSONField.doubles(object, "steps")
        let methods = try JSONField.objects(object, "methods").enumerated().map { index, method -> Evaluation.Method in
            let name = try JSONField.string(method, "method")
            func values(_ key: String) throws -> [Double] {
                let values = try JSONField.doubles(method, key, place: "methods[\(index)].\(key)")
                guard values.count == steps.count else {
                    throw JSONField.Problem(detail: "'\(key)' of \(name) has \(values.count) values for \(steps.count) steps")
                }
                return values
            }
            func metric(_ key: String) throws -> Double? { try JSONField.optionalNumber(method, key, place: "methods[\(index)].\(key)") }
            return Evaluation.Method(name: name, abpc: try metric("abpc"), comprehensiveness: try metric("comprehensiveness"),
                                     sufficiency: try metric("sufficiency"), morf: try values("morf"), lerf: try values("lerf"))
        }
        guard !methods.isEmpty else { throw JSONField.Problem(detail: "'methods' is empty") }
        var evaluation = Evaluation(steps: steps, methods: methods, inputs: try JSONField.optionalList(object, "inputs")?.count,
                                    baseline: try JSONField.optionalString(object, "baseline"),
                                    similarity: try JSONField.optionalString(object, "quantity") == "similarity")
        evaluation.sigmoid = try JSONField.optionalString(object, "scores") == "sigmoid"
        return evaluation
    }
}
