extension TransformerModel {
    /// Every hook point this model fires, in forward order (`attn.hook_result` included, which
    /// fires only when captured or edited).
    public var hookPoints: [HookPoint] {
        let arch = architecture
        var points: [HookPoint] = [.embed]
        if weights.embeddings.position != nil { points.append(.posEmbed) }
        if weights.embeddings.tokenType != nil { points.append(.tokenTypeEmbed) }
        if weights.embeddings.norm != nil { points += [.embedLN(.scale), .embedLN(.normalized)] }
        let rotation: [BlockSite] = if case .rotary = arch.position { [.rotQ, .rotK] } else { [] }
        let attention0 = weights.blocks.first?.attention
        let qkNorm: [BlockSite] = (attention0?.queryNorm != nil ? [.qNorm(.scale), .qNorm(.normalized)] : [])
            + (attention0?.keyNorm != nil ? [.kNorm(.scale), .kNorm(.normalized)] : [])
        let attention: [BlockSite] = [.q, .k, .v] + qkNorm + rotation + [.attnScores, .pattern, .z, .result]
        let dense: [BlockSite] = arch.mlp == .gated ? [.mlpPre, .mlpPreLinear, .mlpPost] : [.mlpPre, .mlpPost]
        for l in 0..<arch.layers {
            // A mixture's points in its sparse layers (Qwen MoE may keep dense MLPs in others).
            let mlp: [BlockSite] = if let mixture = weights.blocks[l].mlp.mixture {
                [.routerLogits, .expertWeights, .expertIndices, .routingWeights]
                    + mixture.experts.indices.flatMap { e in ExpertSite.allCases.map { BlockSite.expert(e, $0) } }
                    + (mixture.shared.map { ExpertSite.allCases.map { BlockSite.sharedExpert($0) } + ($0.gate == nil ? [] : [.sharedExpertGate]) } ?? [])
            } else { dense }
            var sites: [BlockSite] = [.residPre]
            switch arch.placement {
            case .pre where arch.parallelResidual:
                sites += [.ln1(.scale), .ln1(.normalized)] + attention + [.attnOut]
                sites += [.ln2(.scale), .ln2(.normalized)] + mlp + [.mlpOut, .residPost]
            case .pre:
                sites += [.ln1(.scale), .ln1(.normalized)] + attention + [.attnOut, .residMid]
                sites += [.ln2(.scale), .ln2(.normalized)] + mlp + [.mlpOut, .residPost]
            case .sandwich:
                sites += [.ln1(.scale), .ln1(.normalized)] + attention + [.ln1Post(.scale), .ln1Post(.normalized)]
                sites += [.attnOut, .residMid, .ln2(.scale), .ln2(.normalized)] + mlp
                sites += [.ln2Post(.scale), .ln2Post(.normalized), .mlpOut, .residPost]
            case .branchOutput:
                sites += attention + [.ln1Post(.scale), .ln1Post(.normalized), .attnOut, .residMid] + mlp
                sites += [.ln2Post(.scale), .ln2Post(.normalized), .mlpOut, .residPost]
            case .post:
                sites += attention + [.attnOut, .residMid, .ln1(.scale), .ln1(.normalized)] + mlp
                sites += [.mlpOut, .residPost, .ln2(.scale), .ln2(.normalized), .normalizedResidPost]
            }
            points += sites.map { .block(l, $0) }
        }
        let head = weights.head
        if head.finalNorm != nil { points += [.lnFinal(.scale), .lnFinal(.normalized)] }
        if head.pooler != nil { points.append(.poolerOut) }
        if head.unembed != nil {
            if case .maskedLanguageModel = arch.head { points += [.mlmTransform, .mlmLN(.scale), .mlmLN(.normalized)] }
            if case .replacedTokenDetection = arch.head { points.append(.mlmTransform) }
            points += [.unembedIn, .unembedOut]
        }
        return points
    }
}

extension TransformerModel {
    /// Throws `HookError.noSuchPoint` for the first point (in name order) that `capture` or
    /// `interventions` lists by name but this model does not fire. Predicate filters and rules
    /// are not checked. O(hook points) when something is listed, nothing otherwise.
    func checkListedPoints(capture: HookFilter, interventions: Interventions) throws {
        let listed = (capture.listedPoints ?? []).union(interventions.listedPoints)
        guard !listed.isEmpty else { return }
        let missing = listed.subtracting(hookPoints)
        if let first = missing.map(\.name).min() { throw HookError.noSuchPoint(first) }
    }
}

extension Architecture {
    /// The point holding the queries the attention scores are computed from: `hook_rot_q` (after
    /// the rotation) in rotary models, `hook_q` otherwise. Analyses that recompute scores or
    /// patterns read this one.
    public var scoredQuery: BlockSite {
        if case .rotary = position { .rotQ } else { .q }
    }

    /// The point holding the keys the attention scores are computed from: `hook_rot_k` in rotary
    /// models, `hook_k` otherwise.
    public var scoredKey: BlockSite {
        if case .rotary = position { .rotK } else { .k }
    }
}
