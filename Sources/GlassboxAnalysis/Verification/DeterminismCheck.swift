import GlassboxRuntime
import GlassboxTensor

/// The same input under different worker counts (`Threading.setThreads`, which sets both
/// `parallelFor` and OpenBLAS): every hook point, the logits and the AttnLRP input relevance of
/// each run against the first run's.
///
/// Passes when every difference is within `tolerance` relative to the compared tensor's largest
/// finite magnitude (at least 1): `|Δ| ≤ tolerance · max(1, max |first run|)`. Thread counts only
/// change how work is split (rows of a matmul, heads, positions), never the order of a sum, so the
/// runs are expected to be bitwise identical; `identical` says whether they were.
public struct DeterminismCheck: Sendable, Equatable {
    /// The worker counts compared (the first is the baseline).
    public let threads: [Int]
    /// The largest difference found, relative as above.
    public let maxRelativeDifference: Float
    /// Where it is: a hook name, `logits` or `relevance` (nil when all runs are identical).
    public let worst: String?
    /// Whether every run equalled the first bit for bit.
    public let identical: Bool
    /// The allowed relative difference.
    public let tolerance: Float

    /// Whether every difference is within the tolerance.
    public var passed: Bool { maxRelativeDifference <= tolerance }

    /// Runs `input` once per worker count in `threads` (default 1 and `max(2, current)`), restoring
    /// the current count afterwards.
    ///
    /// - Parameters:
    ///   - target: the relevance target (default: the top prediction; headless encoders explain the
    ///     dot similarity of the input with itself).
    ///   - tolerance: the allowed relative difference (default 1e-6).
    public static func run(_ model: TransformerModel, _ input: ModelInput, target: RelevanceTarget? = nil,
                           threads: [Int]? = nil, tolerance: Float = 1e-6) throws -> DeterminismCheck {
        let previous = Threading.threads
        defer { Threading.setThreads(previous) }
        let counts = threads ?? [1, max(2, previous)]
        var unchecked = model
        unchecked.checksActivations = false
        let target = target ?? Verification.defaultTarget(model, input)
        var runs: [[(String, Tensor)]] = []
        for count in counts {
            Threading.setThreads(count)
            let forward = try unchecked.forward(input, capture: .all)
            var tensors = forward.cache.entries.map { ($0.point.name, $0.tensor) }
            if let logits = forward.logits { tensors.append(("logits", logits)) }
            let relevance = try Relevance.explain(unchecked, input, target: target)
            tensors.append(("relevance", Tensor(shape: [relevance.tokens.count], storage: relevance.tokens)))
            runs.append(tensors)
        }
        var worst: String?, largest: Float = 0, identical = true
        for run in runs.dropFirst() {
            for ((name, base), (_, other)) in zip(runs[0], run) {
                guard base.shape == other.shape else { return DeterminismCheck(threads: counts, maxRelativeDifference: .infinity,
                                                                               worst: name, identical: false, tolerance: tolerance) }
                if base.storage != other.storage { identical = false }
                let scale = max(1, TraceComparison.finiteMagnitude(base))
                let relative = maxAbsDifference(other, base).value / scale
                if relative > largest || (relative.isNaN && !largest.isNaN) { (largest, worst) = (relative, name) }
            }
        }
        if !identical && worst == nil { worst = "bit patterns only (NaN payloads or signed zeros)" }
        return DeterminismCheck(threads: counts, maxRelativeDifference: largest, worst: identical ? nil : worst,
                                identical: identical, tolerance: tolerance)
    }
}
