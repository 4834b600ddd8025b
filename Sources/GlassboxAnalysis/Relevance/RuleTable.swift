/// The operations of a transformer whose local derivative a relevance method may replace.
///
/// In the gradient × input ("efficient") formulation of LRP (Arras et al. 2025, *Close Look at
/// Decomposition-based XAI-Methods for Transformer Language Models*; LXT ≥ 2) relevance at any tensor
/// `T` is `T ⊙ g_T`, where `g` is an ordinary backward pass in which only these operations get a
/// modified local derivative. Everything else — residual adds, reshapes, RoPE, the attention scale
/// and mask — keeps its true gradient.
public enum RelevanceOp: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `y = x·W + b` of the MLP, the output heads and the pooler.
    case linear
    /// The query, key, value and output projections of attention.
    case attentionProjections
    /// The stride-P patch convolution of vision transformers.
    case patchEmbedding
    /// Elementwise non-linearities: GELU, SiLU, ReLU, the pooler's tanh.
    case activation
    /// The product `φ(gate) ⊙ up` of gated MLPs.
    case gatedProduct
    /// LayerNorm and RMSNorm.
    case normalization
    /// The attention scores `q·kᵀ`, into `q` and `k`.
    case attentionScores
    /// The attention output `A·v`, into `v`.
    case attentionValues
    /// The attention softmax.
    case softmax

    /// The case name, as in provenance (`linear`, `softmax`, …).
    public var description: String { rawValue }
}

/// How one operation's local derivative is replaced.
public enum RelevanceRule: Sendable, Equatable, CustomStringConvertible {
    /// The true derivative. For a linear map this is ε-LRP with ε = 0 and the bias absorbing its
    /// share (Arras et al. 2025, §3); for the softmax it equals AttnLRP's Prop. 3.1
    /// `R_x,i = x_i·(R_i − s_i·Σ_j R_j)` (Achtibat et al., ICML 2024).
    case gradient
    /// Identity rule (AttnLRP Eq. 9): derivative replaced by `φ(x)/x`, so `R_in = R_out`.
    case identity
    /// Uniform rule (AttnLRP Eq. 7): the gradient divided by `k` (each of `k` operands of a product
    /// gets `1/k`; `q` and `k` of the scores get ÷4 in total because the value product and the score
    /// product each split ÷2, as LXT's `wrap_attention_forward`).
    case uniform(Float)
    /// No gradient: the operand is a constant (CP-LRP, Ali et al., ICML 2022, §3: `q`, `k` detached so
    /// that the attention acts as a fixed linear map).
    case detached
    /// Gated product with the gate detached: all relevance flows through `up` (LXT `cp_gated_mlp_forward`).
    case detachedGate
    /// Norms with their statistic (σ of LayerNorm, the RMS of RMSNorm) frozen: the centring stays a
    /// linear map, `1/σ` and `γ` act as identities (AttnLRP §3.3; LXT `layer_norm_forward`,
    /// `rms_norm_forward`).
    case frozenStatistics
    /// zennit's generalized Gamma rule (Montavon et al. 2019; Andéol et al. 2021) in gradient × input
    /// form (LXT `zennit_patches.py`): `R_out = y ⊙ g_y`, Gamma(γ) gives `R_in`, `g_in = R_in / (x + 1e-10·sign x)`.
    case gamma(Float)

    /// Short form for provenance: `gradient`, `uniform(÷2)`, `gamma(0.25)`, …
    public var description: String {
        switch self {
        case .gradient: "gradient"
        case .identity: "identity"
        case .uniform(let k): "uniform(÷\(k.formatted()))"
        case .detached: "detached"
        case .detachedGate: "detached-gate"
        case .frozenStatistics: "frozen-statistics"
        case .gamma(let g): "gamma(\(g.formatted()))"
        }
    }
}

extension Float {
    /// Shortest decimal text (`0.25`, `4`).
    func formatted() -> String {
        self == rounded() && abs(self) < 1e7 ? String(Int(self)) : "\(self)"
    }
}

/// A relevance method: one rule per operation kind. AttnLRP, CP-LRP and plain gradient × input
/// are three tables; the reverse sweep never branches on the method, only on these rules.
public struct RuleTable: Sendable, Equatable, CustomStringConvertible {
    /// The rule of every operation (all of `RelevanceOp.allCases` when built by `init`).
    public private(set) var rules: [RelevanceOp: RelevanceRule]

    /// Builds a table; every operation must have a rule it supports (see `allowed`).
    public init(_ rules: [RelevanceOp: RelevanceRule]) throws {
        for op in RelevanceOp.allCases {
            guard let rule = rules[op] else {
                throw AnalysisError.invalidOption("rule table has no rule for \(op); operations: \(RelevanceOp.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard Self.allows(rule, for: op) else {
                throw AnalysisError.invalidOption("rule \(rule) is not defined for \(op); allowed: \(Self.allowedDescription(op))")
            }
        }
        self.rules = rules
    }

    /// The rule for `op` (`.gradient` if the table has none).
    public subscript(op: RelevanceOp) -> RelevanceRule { rules[op] ?? .gradient }

    /// Whether the sweep can apply `rule` to `op`.
    public static func allows(_ rule: RelevanceRule, for op: RelevanceOp) -> Bool {
        switch (op, rule) {
        case (_, .gradient): true
        case (.linear, .gamma(let g)), (.attentionProjections, .gamma(let g)), (.patchEmbedding, .gamma(let g)):
            g >= 0 && g.isFinite
        case (.activation, .identity): true
        case (.gatedProduct, .uniform(let k)), (.attentionScores, .uniform(let k)), (.attentionValues, .uniform(let k)):
            k > 0 && k.isFinite
        case (.gatedProduct, .detachedGate), (.attentionScores, .detached): true
        case (.normalization, .frozenStatistics): true
        default: false
        }
    }

    private static func allowedDescription(_ op: RelevanceOp) -> String {
        let candidates: [RelevanceRule] = [.gradient, .identity, .uniform(2), .detached, .detachedGate, .frozenStatistics, .gamma(0.25)]
        return candidates.filter { allows($0, for: op) }.map(\.description).joined(separator: ", ")
    }

    /// `op=rule` pairs for every operation, space-separated, for provenance.
    public var description: String {
        RelevanceOp.allCases.map { "\($0)=\(self[$0])" }.joined(separator: " ")
    }

    private init(unchecked rules: [RelevanceOp: RelevanceRule]) { self.rules = rules }

    /// Plain gradient × input: every derivative true (Simonyan et al. 2014; Shrikumar et al. 2016).
    public static let gradientTimesInput = RuleTable(unchecked: Dictionary(
        uniqueKeysWithValues: RelevanceOp.allCases.map { ($0, RelevanceRule.gradient) }))

    /// AttnLRP (Achtibat et al., ICML 2024) as LXT 2.1's efficient rules: identity on activations,
    /// uniform ÷2 on gated products, frozen norm statistics, ÷4 into `q`, `k` and ÷2 into `v`
    /// (Eq. 7 on both attention products), the softmax's true gradient (Prop. 3.1).
    public static let attnLRP = RuleTable(unchecked: [
        .linear: .gradient, .attentionProjections: .gradient, .patchEmbedding: .gradient, .activation: .identity,
        .gatedProduct: .uniform(2),
        .normalization: .frozenStatistics, .attentionScores: .uniform(4), .attentionValues: .uniform(2),
        .softmax: .gradient,
    ])

    /// CP-LRP (Ali et al., ICML 2022) as LXT 2.1's `cp_LRP` maps: AttnLRP outside attention, but `q`, `k`
    /// detached (the pattern is a constant, `A·v` pure ε-LRP) and the gate of gated MLPs detached.
    public static let cpLRP = RuleTable(unchecked: [
        .linear: .gradient, .attentionProjections: .gradient, .patchEmbedding: .gradient, .activation: .identity,
        .gatedProduct: .detachedGate,
        .normalization: .frozenStatistics, .attentionScores: .detached, .attentionValues: .gradient,
        .softmax: .gradient,
    ])

    /// This table with zennit's generalized Gamma rule on the linear layers outside attention (MLP,
    /// classifier, pooler) and on the patch convolution: what both LRP methods use on a vision
    /// transformer, as LXT's ViT recipe does (`examples/vit_torch.py`: `Gamma` on the `Conv2d` and
    /// `Linear` modules). The attention projections keep their rule (the gradient, ε = 0, as in the
    /// text families), and so does every other operation: `RuleTable.cpLRP.withGamma(…)` is LXT's
    /// `vit_torch.cp_LRP` map, `RuleTable.attnLRP.withGamma(…)` AttnLRP with the same Gamma layers
    /// (docs/methods.md §2.5). With `γ = 0` the Gamma rule is the gradient.
    public func withGamma(linear: Float, convolution: Float) -> RuleTable {
        var rules = self.rules
        rules[.linear] = .gamma(linear)
        rules[.patchEmbedding] = .gamma(convolution)
        return RuleTable(unchecked: rules)
    }
}
