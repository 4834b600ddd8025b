import Foundation
import GlassboxRuntime
import GlassboxTensor

/// What a removed token's input embedding is replaced by (docs/methods.md §9.1). Images ignore it:
/// a removed patch always takes the image's mean pixel value (`meanPixelRow`).
public enum PerturbationBaseline: Sendable, Equatable, CustomStringConvertible {
    /// The zero vector (the default).
    case zero
    /// The mean of the token embedding table's rows.
    case mean
    /// The embedding of one token id.
    case token(Int)

    /// `zero`, `mean` or `token:ID`, as the CLI spells it.
    public var description: String {
        switch self {
        case .zero: "zero"
        case .mean: "mean"
        case .token(let id): "token:\(id)"
        }
    }

    /// Parses `zero`, `mean` or `token:ID`; nil for anything else.
    public init?(parsing text: String) {
        switch text {
        case "zero": self = .zero
        case "mean": self = .mean
        default:
            guard text.hasPrefix("token:"), let id = Int(text.dropFirst("token:".count)), id >= 0 else { return nil }
            self = .token(id)
        }
    }

    /// The replacement `hook_embed` row `[e]` for a text model (`e` the token table's width: `d`,
    /// or ELECTRA's `embedding_size`).
    public func row(for model: TransformerModel) throws -> [Float] {
        let table = model.weights.embeddings.token                              // [V, d]
        let (v, d) = (table.shape[0], table.shape[1])
        switch self {
        case .zero:
            return [Float](repeating: 0, count: d)
        case .mean:
            var sum = [Double](repeating: 0, count: d)
            for i in 0..<v {
                let row = table.row(i).storage                                  // [d], converted
                for j in 0..<d { sum[j] += Double(row[j]) }
            }
            return sum.map { Float($0 / Double(v)) }
        case .token(let id):
            guard id >= 0 && id < v else {
                throw AnalysisError.invalidOption("baseline token \(id) is outside the vocabulary (0..<\(v))")
            }
            return table.row(id).storage
        }
    }

    /// The `hook_embed` row `[d]` of a patch whose pixels all take the image's mean value per
    /// channel: the patch projection of that constant patch. (Replacing a patch's pixels and
    /// re-embedding gives exactly this row, since the stride-P convolution sees one patch at a time.)
    ///
    /// - Parameter pixels: `[C, H, W]`, preprocessed.
    public static func meanPixelRow(for model: TransformerModel, pixels: Tensor) throws -> [Float] {
        guard model.architecture.image != nil, let patch = model.weights.embeddings.patch else {
            throw AnalysisError.invalidOption("a mean-pixel baseline needs a vision model")
        }
        let g = try model.validate(pixels: pixels)
        let plane = g.height * g.width, p = g.patchSize
        var flat: [Float] = []
        flat.reserveCapacity(g.channels * p * p)
        for c in 0..<g.channels {
            let mean = pixels.storage[(c * plane)..<((c + 1) * plane)].reduce(0.0) { $0 + Double($1) } / Double(plane)
            flat += [Float](repeating: Float(mean), count: p * p)              // (channel, row, column) order
        }
        return patch(Tensor(shape: [1, flat.count], storage: flat)).storage
    }
}
