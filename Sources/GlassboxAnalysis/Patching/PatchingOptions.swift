import Foundation
import GlassboxRuntime

/// The metric a patched run is scored by, read from the logits at one position (docs/methods.md
/// §10.1; TransformerLens `patching.py` demos).
public enum PatchingMetric: Sendable, Equatable {
    /// `logit[answer] − logit[wrong]` (the default when both tokens are given).
    case logitDiff(answer: Int, wrong: Int)
    /// `log p[answer]` (log-softmax over the whole output).
    case logProb(answer: Int)
    /// `p[answer]`.
    case prob(answer: Int)
    /// `KL(p_clean ‖ p_run) = Σ_v p_clean(v) (log p_clean(v) − log p_run(v))`: 0 for the clean run.
    case kl

    /// The metric's name in JSON and pictures: `logit_diff`, `logprob`, `prob`, `kl`.
    public var name: String {
        switch self {
        case .logitDiff: "logit_diff"
        case .logProb: "logprob"
        case .prob: "prob"
        case .kl: "kl"
        }
    }

    /// The output ids the metric reads (`[]` for KL).
    public var tokens: [Int] {
        switch self {
        case .logitDiff(let a, let w): [a, w]
        case .logProb(let a), .prob(let a): [a]
        case .kl: []
        }
    }
}

/// Which run is patched with activations of which (docs/methods.md §10.1).
public enum PatchingDirection: String, Sendable, Equatable, CaseIterable {
    /// Run the corrupted input and splice in one clean activation (TransformerLens's demos; the default).
    case denoise
    /// Run the clean input and splice in one corrupted activation.
    case noise
}

/// The kinds of patched site, each giving one map (TransformerLens's `get_act_patch_*` functions).
public enum PatchingSiteKind: String, Sendable, Equatable, CaseIterable {
    /// `blocks.l.hook_resid_pre` at one position: `[layer, position]`.
    case residPre = "resid_pre"
    /// `blocks.l.hook_attn_out` at one position: `[layer, position]`.
    case attnOut = "attn_out"
    /// `blocks.l.hook_mlp_out` at one position: `[layer, position]`.
    case mlpOut = "mlp_out"
    /// `attn.hook_z` of one head at every position: `[layer, head]`.
    case z
    /// `attn.hook_z` of one head at one position: `[layer, head, position]`.
    case zByPosition = "z_by_position"
    /// `attn.hook_q` of one head at every position: `[layer, head]`.
    case q
    /// `attn.hook_k` of one key/value head at every position: `[layer, kv head]`.
    case k
    /// `attn.hook_v` of one key/value head at every position: `[layer, kv head]`.
    case v
    /// `attn.hook_pattern` of one head (all query and key positions): `[layer, head]`.
    case pattern

    /// The JSON `site` name (`z_by_position` is reported as `z` with a position axis, as the issue fixes).
    public var jsonSite: String { self == .zByPosition ? "z" : rawValue }

    /// The axes of the map, in order.
    public var axes: [String] {
        switch self {
        case .residPre, .attnOut, .mlpOut: ["layer", "position"]
        case .z, .q, .k, .v, .pattern: ["layer", "head"]
        case .zByPosition: ["layer", "head", "position"]
        }
    }
}

/// How the patched values are obtained.
public enum PatchingMethod: String, Sendable, Equatable, CaseIterable {
    /// One patched forward pass per site (through the batched suffix engine).
    case exact
    /// Attribution patching: the first-order estimate `(a_source − a_base) · ∂M/∂a` from one forward
    /// and backward pass per input (Nanda 2023; Syed et al. 2023).
    case atp
    /// AtP* (Kramár et al. 2024): AtP with the exact softmax for query/key sites and GradDrop.
    case atpStar = "atp*"
}

/// How exact patched passes run.
public enum PatchingEngine: String, Sendable, Equatable, CaseIterable {
    /// The batched suffix engine (`TransformerModel.forwardSuffixes`); the default.
    case batched
    /// One plain `forward` per site with an intervention at the hook: the slow, readable reference.
    case hooks
}

/// The parameters of an activation-patching experiment.
public struct PatchingOptions: Sendable {
    /// The metric (required; there is no sensible default without answer tokens).
    public var metric: PatchingMetric
    /// Denoising (default) or noising.
    public var direction: PatchingDirection = .denoise
    /// The maps computed (default: `resid_pre`, `attn_out`, `mlp_out` and `z`).
    public var sites: [PatchingSiteKind] = [.residPre, .attnOut, .mlpOut, .z]
    /// Extra hook points patched by name (any full hook name; one value per position for `[n, …]`
    /// points, one per head for `attn_scores` and `pattern`). Always run through the hook path.
    public var hooks: [HookPoint] = []
    /// The position whose logits the metric reads (`nil`: the last position).
    public var position: Int? = nil
    /// Exact patching's engine (default `.batched`).
    public var engine: PatchingEngine = .batched
    /// Stacked rows per chunk of the batched engine (bounds memory).
    public var rowBudget = 4096
    /// Token types for models that have them (both inputs; `nil`: all 0).
    public var tokenTypes: [Int]? = nil
    /// Called with `(completed, total)` units of work; see `AtMan.stderrProgress`.
    public var progress: (@Sendable (_ completed: Int, _ total: Int) -> Void)? = nil

    /// Options with `metric` and the defaults listed above.
    public init(metric: PatchingMetric) { self.metric = metric }
}
