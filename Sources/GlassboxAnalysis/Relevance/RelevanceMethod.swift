import GlassboxRuntime

/// The three relevance methods of the reverse sweep, as the CLI spells them.
public enum RelevanceMethod: String, Sendable, CaseIterable, CustomStringConvertible {
    /// AttnLRP (Achtibat et al., *AttnLRP: Attention-Aware Layer-Wise Relevance Propagation for
    /// Transformers*, ICML 2024), LXT 2.1's efficient rules; on vision transformers with the Gamma
    /// rule on the patch convolution and the MLP and classifier layers (`RuleTable.withGamma`).
    case attnLRP = "attnlrp"
    /// CP-LRP (Ali et al., *XAI for Transformers: Better Explanations through Conservative
    /// Propagation*, ICML 2022), LXT 2.1's `cp_LRP` maps; on vision transformers with the Gamma
    /// rule as above, which is LXT's ViT map `vit_torch.cp_LRP`. On BERT, Glassbox's own variant
    /// (LXT has no CP-LRP map for BERT; docs/methods.md §2.2).
    case cpLRP = "cp-lrp"
    /// Plain gradient × input: no rule modified.
    case gradientTimesInput = "grad-input"

    /// The CLI spelling (`attnlrp`, `cp-lrp`, `grad-input`).
    public var description: String { rawValue }
}

/// Options of a relevance explanation.
public struct RelevanceOptions: Sendable, Equatable {
    /// The method (default AttnLRP); picks the rule table unless `customRules` is set.
    public var method: RelevanceMethod
    /// Vision models, AttnLRP and CP-LRP: Gamma γ of the patch convolution. LXT ships no default (its
    /// example sweeps 0.1, 0.25, 100); 0.25 is zennit's default.
    public var convolutionGamma: Float
    /// Vision models, AttnLRP and CP-LRP: Gamma γ of the MLP and classifier layers (LXT's example
    /// sweeps 0, 0.01, 0.05, 0.1, 1).
    public var linearGamma: Float
    /// Replaces the method's table entirely (for experiments and tests, e.g. switching single rules).
    public var customRules: RuleTable?
    /// Attention in the forward and the sweep (docs/methods.md §2.3, "Blocked sweep"): `automatic`
    /// and `blocked` never hold an `[n, n]` pattern (the sweep recomputes blocks of it from `q`, `k`);
    /// `unblocked` keeps every layer's `[H, n, n]` pattern from the forward (`L·H·n²` floats).
    public var attention: AttentionPath
    /// Whether the sweep recomputes each layer's activations from its input instead of keeping
    /// them all (docs/methods.md §2.3, "Checkpointing").
    public var checkpointing: Checkpointing
    /// Called with `(completed, total)` steps: the forward pass, then each layer of the sweep
    /// (`AtMan.stderrProgress` draws a line on standard error). Not part of `==`.
    public var progress: (@Sendable (_ completed: Int, _ total: Int) -> Void)?

    /// Options from their fields, as listed above. The gammas apply to vision models only.
    public init(method: RelevanceMethod = .attnLRP, convolutionGamma: Float = 0.25, linearGamma: Float = 0.05,
                customRules: RuleTable? = nil, attention: AttentionPath = .automatic, checkpointing: Checkpointing = .automatic) {
        (self.method, self.convolutionGamma, self.linearGamma, self.customRules) = (method, convolutionGamma, linearGamma, customRules)
        (self.attention, self.checkpointing) = (attention, checkpointing)
    }

    /// Equal when every field but `progress` is.
    public static func == (a: RelevanceOptions, b: RelevanceOptions) -> Bool {
        (a.method, a.convolutionGamma, a.linearGamma, a.customRules, a.attention, a.checkpointing)
            == (b.method, b.convolutionGamma, b.linearGamma, b.customRules, b.attention, b.checkpointing)
    }

    /// The rule table used on `architecture`.
    ///
    /// On a vision model, `.attnLRP` and `.cpLRP` add the Gamma rule (`linearGamma`,
    /// `convolutionGamma`) to their table (`RuleTable.withGamma`); `.cpLRP` is then LXT's ViT map
    /// `vit_torch.cp_LRP`. Gradient × input never uses Gamma.
    public func table(for architecture: Architecture) throws -> RuleTable {
        if let customRules { return customRules }
        guard convolutionGamma >= 0, convolutionGamma.isFinite, linearGamma >= 0, linearGamma.isFinite else {
            throw AnalysisError.invalidOption("gamma must be finite and ≥ 0 (got convolution \(convolutionGamma), linear \(linearGamma))")
        }
        let table: RuleTable = switch method {
        case .gradientTimesInput: .gradientTimesInput
        case .attnLRP: .attnLRP
        case .cpLRP: .cpLRP
        }
        guard method != .gradientTimesInput, architecture.image != nil else { return table }
        return table.withGamma(linear: linearGamma, convolution: convolutionGamma)
    }

    /// Provenance: the method, the rules and (vision) the gammas.
    func parameters(table: RuleTable, architecture: Architecture) -> [String: String] {
        var p = ["method": method.rawValue, "rules": table.description]
        if architecture.image != nil, method != .gradientTimesInput, customRules == nil {
            p["convolutionGamma"] = convolutionGamma.formatted()
            p["linearGamma"] = linearGamma.formatted()
        }
        return p
    }
}
