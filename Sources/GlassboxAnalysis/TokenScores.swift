import Foundation
import GlassboxRuntime

/// One score per input position for one explained prediction, with what produced it.
public struct TokenScores: Sendable, Equatable {
    /// Method name as the CLI spells it (`rollout`, `flow`, `attention`, …).
    public let method: String
    /// The method's parameters, for provenance.
    public let parameters: [String: String]
    /// The explained position (the row read).
    public let position: Int
    /// `[n]`: one score per input position (`[CLS]` first for vision models).
    public let scores: [Float]
    /// For vision models: the patch scores (positions `1...`) as grid rows × columns.
    public let patchGrid: [[Float]]?

    /// Scores `[n]` for the prediction at `position`. With `image` and `n == patchCount + 1`,
    /// `patchGrid` is filled from `scores[1...]` as `[gridRows][gridColumns]`; otherwise it is nil.
    public init(method: String, parameters: [String: String], position: Int, scores: [Float], image: ImageGeometry? = nil) {
        (self.method, self.parameters, self.position, self.scores) = (method, parameters, position, scores)
        if let image, scores.count == image.patchCount + 1 {
            patchGrid = (0..<image.gridRows).map { r in
                Array(scores[(1 + r * image.gridColumns)..<(1 + (r + 1) * image.gridColumns)])
            }
        } else {
            patchGrid = nil
        }
    }
}

/// Analysis options or inputs that cannot be honoured.
public enum AnalysisError: Error, LocalizedError, Equatable {
    /// A layer index outside `0..<layers`.
    case layerOutOfRange(Int, layers: Int)
    /// A head index outside `0..<heads`.
    case headOutOfRange(Int, heads: Int)
    /// A position outside the input, `0..<length`.
    case positionOutOfRange(Int, length: Int)
    /// An option value or combination the analysis cannot honour; the text says which.
    case invalidOption(String)
    /// The analysis would need more memory or time than allowed; the text says how much.
    case tooLarge(String)

    /// One readable line: the value and the valid range, or the detail.
    public var errorDescription: String? {
        switch self {
        case .layerOutOfRange(let l, let layers): "layer \(l) is outside 0..<\(layers)"
        case .headOutOfRange(let h, let heads): "head \(h) is outside 0..<\(heads)"
        case .positionOutOfRange(let p, let n): "position \(p) is outside the input (0..<\(n))"
        case .invalidOption(let detail): detail
        case .tooLarge(let detail): detail
        }
    }

    /// Why a method that compares the target's probability among outputs (AtMan, perturbation
    /// curves, patching, causal tracing) refuses a replaced-token-detection head (ELECTRA's
    /// discriminator, docs/methods.md §0.6b): each position has one logit, no distribution.
    public static func oneLogitPerToken(_ modelType: String, method: String) -> AnalysisError {
        .invalidOption("\(method) compares the target's probability among the outputs at a position; this \(modelType) "
            + "replaced-token detection head has one logit per token; explain it with attnlrp, cp-lrp, grad-input or attention")
    }
}
