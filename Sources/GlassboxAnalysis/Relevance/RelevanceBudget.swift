import GlassboxTensor

/// Where the explained value's relevance went: the inputs, or one of the places that absorb it.
///
/// In the gradient × input form every operation hands on `Σ x ⊙ g_x` of what it received,
/// `Σ y ⊙ g_y`, except the ones listed here (docs/methods.md §2.7):
/// - a bias `b` of `y = x·W + b` keeps `Σ b ⊙ g_y` (ε-LRP with ε = 0, the bias in the denominator),
///   and a norm's `β` likewise under frozen statistics; an element `clip_qkv` clipped (OLMo, OLMoE) is the
///   constant `±c` and keeps `±c · g` (counted with the biases);
/// - the attention softmax under its true gradient (AttnLRP Prop. 3.1, Achtibat et al. ICML 2024)
///   keeps `R_A − R_S`, measured per layer as `R_z − R_v − R_q − R_k` (`R_z` at `hook_z`, `R_q`,
///   `R_k` at the scored queries and keys, `R_v` at `hook_v`): the Taylor remainder of the softmax;
/// - zennit's Gamma rule (vision) keeps what its stabiliser and modified bias take, `R_out − R_in`.
///
/// So `explained = inputs + biases + softmax + gammaRule + unaccounted`, where `unaccounted` is
/// float rounding under AttnLRP and CP-LRP. Under plain gradient × input it also holds what the true
/// derivatives of activations and norms do not conserve (they are not relevance rules).
public struct RelevanceBudget: Sendable, Equatable {
    /// The explained scalar (the output relevance).
    public let explained: Double
    /// What reached the inputs: Σ tokens + Σ positions + Σ token types (vision: `[CLS]` + pixels + positions).
    public let inputs: Double
    /// Kept by the biases of linear maps and the `β` of LayerNorms.
    public let biases: Double
    /// Kept by the attention softmax (0 when `q`, `k` are detached, as in CP-LRP).
    public let softmax: Double
    /// Kept by the Gamma rule's stabiliser and modified bias (vision transformers under LRP).
    public let gammaRule: Double

    /// A budget from its parts (see the type's description).
    public init(explained: Double, inputs: Double, biases: Double, softmax: Double, gammaRule: Double) {
        (self.explained, self.inputs, self.biases, self.softmax, self.gammaRule) = (explained, inputs, biases, softmax, gammaRule)
    }

    /// `explained − inputs − biases − softmax − gammaRule`: rounding when every operation on the path
    /// is a relevance rule.
    public var unaccounted: Double { explained - inputs - biases - softmax - gammaRule }

    /// `part / explained` (0 when nothing was explained).
    public func share(_ part: Double) -> Double { explained == 0 ? 0 : part / explained }
}

/// Accumulates what the absorbers of `RelevanceBudget` keep during one reverse sweep. A reference
/// so that the sweep's non-mutating steps (head, embeddings) can add to it.
final class RelevanceLedger {
    var biases = 0.0
    var softmax = 0.0
    var gammaRule = 0.0

    /// `Σ_j b_j · Σ_rows g[row, j]` for a bias `b [out]` and the gradient at the output `g [rows, out]`.
    static func biasShare(_ bias: Tensor?, _ g: Tensor) -> Double {
        guard let bias else { return 0 }
        let columns = Reductions.columnSums(g, columns: bias.count)
        var total = 0.0
        for j in columns.indices { total += Double(bias.storage[j]) * columns[j] }
        return total
    }
}
