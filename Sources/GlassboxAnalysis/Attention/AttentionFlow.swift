import GlassboxRuntime
import GlassboxTensor

/// Attention flow — Abnar & Zuidema, *Quantifying Attention Flow in Transformers* (ACL 2020), §4:
/// the layers form a graph with nodes `(ℓ, p)`, `ℓ = 0…L`, and edges `(ℓ, i) → (ℓ−1, j)` of
/// capacity `Ã_ℓ[i, j]` (the rollout matrices); the flow of output position `u` to input token `v`
/// is the max flow from `(L, u)` to `(0, v)`, and each output row is normalised to sum to 1
/// (samiraabnar/attention_flow `compute_node_flow`). Only the requested rows are computed.
public enum AttentionFlow {
    /// The largest problem computed without `force`: one max-flow per input token over
    /// `L·n²` edges, bounded by `layers · n³` ≤ this (24 layers at 64 tokens, the paper's reach).
    public static let defaultBudget = 24 * 64 * 64 * 64

    /// Raw and normalised flow from output position `position` to every input token.
    ///
    /// - Parameter layers: the rollout matrices `Ã` `[n, n]`, bottom layer first.
    /// - Throws: `AnalysisError` for no layers, matrices that are not all `[n, n]`, or a position
    ///   outside `0..<n`.
    public static func row(_ layers: [Tensor], position u: Int) throws -> (raw: [Float], normalized: [Float]) {
        let n = try AttentionRollout.chainSize(layers), depth = layers.count
        guard u >= 0 && u < n else { throw AnalysisError.positionOutOfRange(u, length: n) }
        var graph = MaxFlowGraph(nodes: (depth + 1) * n)
        for (index, a) in layers.enumerated() {
            let upper = index + 1                                  // edges (upper, i) → (upper − 1, j)
            for i in 0..<n {
                for j in 0..<n where a[i, j] > 0 {
                    graph.addEdge(from: upper * n + i, to: (upper - 1) * n + j, capacity: Double(a[i, j]))
                }
            }
        }
        let source = depth * n + u
        let raw = (0..<n).map { Float(graph.maxFlow(from: source, to: $0)) }
        let total = raw.reduce(0, +)
        return (raw, total > 0 ? raw.map { $0 / total } : raw)
    }

    /// Attention-flow scores of the explained position. Refuses (with a suggestion) problems
    /// above `budget` unless `force`.
    public static func explain(_ model: TransformerModel, _ input: ModelInput, position: Int,
                               options: RolloutOptions = RolloutOptions(), force: Bool = false,
                               budget: Int = defaultBudget) throws -> TokenScores {
        let n: Int = switch input {
        case .tokens(let ids, _): ids.count
        case .pixels: (model.architecture.image?.patchCount ?? 0) + 1
        }
        let total = model.architecture.layers
        guard options.startLayer >= 0 && options.startLayer < total else {
            throw AnalysisError.layerOutOfRange(options.startLayer, layers: total)
        }
        let layers = total - options.startLayer
        // `layers · n³` in checked steps: an input far over the context window (which the
        // forward pass refuses later) must not overflow here.
        let edges = layers.multipliedReportingOverflow(by: n), edgesSquared = edges.partialValue.multipliedReportingOverflow(by: n)
        let cost = edgesSquared.partialValue.multipliedReportingOverflow(by: n)
        let overflow = edges.overflow || edgesSquared.overflow || cost.overflow
        if !force && (overflow || cost.partialValue > budget) {
            let edgeCount = edges.overflow || edgesSquared.overflow ? "more than \(Int.max)" : "\(edgesSquared.partialValue)"
            throw AnalysisError.tooLarge(
                "attention flow over \(n) tokens and \(layers) layers needs \(n) max-flow runs on \(edgeCount) edges, which would take minutes; use --method rollout (the linear counterpart), shorten the input, or pass --force")
        }
        guard position >= 0 && position < n else { throw AnalysisError.positionOutOfRange(position, length: n) }
        let matrices = try AttentionRollout.layerMatrices(model, input, options: options)
        let flow = try row(matrices, position: position)
        return TokenScores(method: "flow", parameters: options.parameters, position: position,
                           scores: flow.normalized, image: model.architecture.image)
    }
}
