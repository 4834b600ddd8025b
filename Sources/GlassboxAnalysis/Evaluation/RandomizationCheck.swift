import Foundation
import GlassboxRuntime

/// The model-parameter randomisation test of Adebayo et al. 2018 (*Sanity Checks for Saliency
/// Maps*, NeurIPS, §3.1 "cascading randomization"), for token and patch scores
/// (docs/methods.md §9.3).
///
/// Stage `s` randomises the top `s` blocks (`TransformerModel.randomizingBlocks`, from the top layer
/// down); at each stage a method's scores on each input are compared with its scores on the
/// original model by Spearman's rank correlation, averaged over inputs. A method whose scores
/// barely move once weights it depends on are random is insensitive to the model: it is flagged
/// when the mean correlation at the last stage is still at least `threshold`.
public enum RandomizationCheck {
    /// The correlations of one method.
    public struct MethodResult: Sendable, Equatable {
        /// The method's name.
        public let method: String
        /// `[stages.count]`: mean Spearman ρ over inputs at each stage (NaN inputs left out; NaN when
        /// every input's ρ is undefined).
        public let correlations: [Double]
        /// True when the last stage's correlation is at least the threshold: the scores did not change.
        public let flagged: Bool
    }

    /// The whole check.
    public struct Result: Sendable, Equatable {
        /// The number of top blocks randomised at each stage.
        public let stages: [Int]
        /// One entry per method, in the order given.
        public let methods: [MethodResult]
        /// The correlation at or above which a method is flagged.
        public let threshold: Double
    }

    /// Runs the cascade.
    ///
    /// - Parameters:
    ///   - model: the trained model.
    ///   - methods: names, in order.
    ///   - inputs: how many inputs `score` is asked about (`0..<inputs`).
    ///   - stages: how many top blocks are randomised at each stage (default `1…layers`).
    ///   - seed: the randomisation seed (stage `s` uses `seed + s`, so that each stage adds new layers
    ///     to fresh draws; the draws of a layer differ between stages, as in independent re-initialisations).
    ///   - threshold: the flagging correlation (default 0.9).
    ///   - score: the scores `[n]` of method `method` on input `input` under `model`, only the
    ///     positions that count (e.g. without special tokens).
    public static func run(_ model: TransformerModel, methods: [String], inputs: Int, stages: [Int]? = nil,
                           seed: UInt64 = 2018, threshold: Double = 0.9,
                           progress: ((_ done: Int, _ total: Int) -> Void)? = nil,
                           score: (_ model: TransformerModel, _ method: String, _ input: Int) throws -> [Float]) throws -> Result {
        let layers = model.architecture.layers
        let stages = stages ?? Array(1...layers)
        for s in stages where s < 0 || s > layers {
            throw AnalysisError.invalidOption("a randomisation stage randomises 0…\(layers) blocks, got \(s)")
        }
        // No inputs or no stages would leave NaN or no correlations, read as "not flagged": a pass.
        guard inputs >= 1 else { throw AnalysisError.invalidOption("the randomisation check needs at least one input, got \(inputs)") }
        guard !stages.isEmpty else { throw AnalysisError.invalidOption("the randomisation check needs at least one stage") }
        let perInput = (stages.count + 1) * methods.count
        let total = perInput > 0 && inputs > Int.max / perInput ? Int.max : perInput * inputs
        var done = 0
        func all(_ m: TransformerModel) throws -> [[[Float]]] {
            try methods.map { method in
                try (0..<inputs).map { i in
                    defer { done += 1; progress?(done, total) }
                    return try score(m, method, i)
                }
            }
        }
        let original = try all(model)
        var perStage: [[Double]] = []                                         // [stage][method]
        for s in stages {
            let randomized = model.randomizingBlocks(Set((layers - s)..<layers), seed: seed &+ UInt64(s))
            let scores = try all(randomized)
            perStage.append(try methods.indices.map { m in
                let rhos = try (0..<inputs).map { i in
                    guard original[m][i].count == scores[m][i].count else {
                        throw AnalysisError.invalidOption("\(methods[m]) gave \(original[m][i].count) scores for input \(i) on the "
                                                          + "original model but \(scores[m][i].count) with \(s) blocks randomised")
                    }
                    return try RankCorrelation.spearman(original[m][i].map(Double.init), scores[m][i].map(Double.init))
                }.filter { !$0.isNaN }
                return rhos.isEmpty ? .nan : rhos.reduce(0, +) / Double(rhos.count)
            })
        }
        let results = methods.enumerated().map { m, name in
            let rhos = perStage.map { $0[m] }
            return MethodResult(method: name, correlations: rhos, flagged: (rhos.last.map { $0 >= threshold }) ?? false)
        }
        return Result(stages: stages, methods: results, threshold: threshold)
    }
}
