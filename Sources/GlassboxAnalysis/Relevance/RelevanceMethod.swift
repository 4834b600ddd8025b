import GlassboxRuntime

/// The three relevance methods of the reverse sweep, as the CLI spells them.
public enum RelevanceMethod: String, Sendable, CaseIterable, CustomStringConvertible {
    /// AttnLRP (Achtibat et al., *AttnLRP: Attention-Aware Layer-Wise Relevance Propagation for
    /// Transformers*, ICML 2024), LXT 2.1's efficient rules.
    case attnLRP = "attnlrp"
    /// CP-LRP (Ali et al., *XAI for Transformers: Better Explanations through Conservative
    /// Propagation*, ICML 2022), LXT 2.1's `cp_LRP` maps.
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

    /// Options from their fields, as listed above. The gammas apply to vision models only.
    public init(method: RelevanceMethod = .attnLRP, convolutionGamma: Float = 0.25, linearGamma: Float = 0.05,
                customRules: RuleTable? = nil) {
        (self.method, self.convolutionGamma, self.linearGamma, self.customRules) = (method, convolutionGamma, linearGamma, customRules)
    }

    /// The rule table used on `architecture`.
    ///
    /// LXT 2.1 explains vision transformers with one map only (`vit_torch.cp_LRP`: CP-LRP inside
    /// attention, AttnLRP elsewhere, zennit Gamma on the patch convolution and linear layers), so on a
    /// vision model both `.attnLRP` and `.cpLRP` use `RuleTable.lxtVision`; pass `customRules` (e.g.
    /// `.attnLRP`) for AttnLRP's softmax rule inside a ViT.
    public func table(for architecture: Architecture) throws -> RuleTable {
        if let customRules { return customRules }
        guard convolutionGamma >= 0, convolutionGamma.isFinite, linearGamma >= 0, linearGamma.isFinite else {
            throw AnalysisError.invalidOption("gamma must be finite and ≥ 0 (got convolution \(convolutionGamma), linear \(linearGamma))")
        }
        if method != .gradientTimesInput, architecture.image != nil {
            return .lxtVision(linearGamma: linearGamma, convolutionGamma: convolutionGamma)
        }
        switch method {
        case .gradientTimesInput: return .gradientTimesInput
        case .attnLRP: return .attnLRP
        case .cpLRP: return .cpLRP
        }
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
