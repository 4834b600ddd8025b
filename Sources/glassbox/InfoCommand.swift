import ArgumentParser
import Foundation
import Glassbox

/// `glassbox info`: architecture, sizes, dtype, tokenizer kind and hook names of a model, and the
/// `model_type`s Glassbox loads.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Describe a model: architecture, sizes, dtype, tokenizer, hook names.")

    @OptionGroup var modelOptions: ModelOptions

    @Flag(name: .long, help: "Print one JSON object on stdout.")
    var json = false

    func run() throws {
        // Describing needs the headers, not the weights: the matrices are only mapped, never read.
        let loaded = try modelOptions.load(scanWeights: false)
        let model = loaded.model
        let arch = model.architecture
        let parameters = model.weights.parameterCount
        let tokenizer = loaded.vocabulary.map { "\($0.style.rawValue) (\($0.count) tokens, \($0.file.lastPathComponent))" }
            ?? (arch.image != nil ? "none (reads images)" : "none found")
        let hooks = model.hookPoints.map(\.name)
        if json {
            var object = loaded.jsonDescription
            object["kvHeads"] = arch.kvHeads
            object["headDim"] = arch.headDim
            object["dFF"] = arch.dFF
            object["contextLength"] = arch.contextLength
            object["parameters"] = parameters
            object["dtypes"] = model.checkpointDTypes
            object["head"] = arch.head.summary
            object["norm"] = "\(arch.placement)-\(arch.norm.name)"
            object["activation"] = arch.activation.rawValue
            object["positions"] = Self.positionSummary(model)
            object["block"] = Self.blockSummary(model)
            object["supportedModelTypes"] = ModelRegistry.supportedModelTypes
            if let composite = arch.textModelOf { object["textModelOf"] = composite }
            if let image = arch.image {
                object["image"] = ["height": image.height, "width": image.width, "channels": image.channels,
                                   "patchSize": image.patchSize]
            }
            try Console.json(["glassbox": GlassboxVersion.string, "command": "info", "model": object,
                              "tokenizer": tokenizer, "hooks": hooks])
            return
        }
        let rows: [(String, String)] = [
            ("model", loaded.directory.url.path),
            ("architecture", "\(arch.modelType) (\(arch.placement)-\(arch.norm.name), \(arch.mask == .causal ? "causal" : "bidirectional"))"
                + (arch.textModelOf.map { ": the text model of a \($0) checkpoint (vision tower and projector not loaded)" } ?? "")),
            ("block", Self.blockSummary(model)),
            ("layers", "\(arch.layers)"),
            ("width", "d \(arch.dModel), mlp \(arch.dFF) (\(arch.activation.rawValue))"),
            ("heads", arch.kvHeads == arch.heads ? "\(arch.heads) × \(arch.headDim)"
                : "\(arch.heads) query / \(arch.kvHeads) kv × \(arch.headDim)"),
            arch.image.map { ("input", "image \($0.height)×\($0.width)×\($0.channels), \($0.patchSize)×\($0.patchSize) patches in a \($0.gridRows)×\($0.gridColumns) grid after [CLS]") }
                ?? ("vocabulary", "\(arch.vocabSize)"),
            ("context", arch.contextLength == Int.max ? "unbounded (no position table)" : "\(arch.contextLength) positions"),
            ("positions", Self.positionSummary(model)),
            ("head", arch.head.summary),
            ("parameters", Self.formatCount(parameters) + (arch.textModelOf == nil ? "" : " (text model)")),
            ("dtype", Self.dtypeSummary(model)),
            ("tokenizer", tokenizer),
            ("families", ModelRegistry.supportedModelTypes.joined(separator: ", ") + " (model_type values Glassbox loads)"),
        ]
        for (key, value) in rows { print(key.padding(toLength: 13, withPad: " ", startingAt: 0) + value) }
        print("hooks        \(hooks.count) points; block 0 shown, blocks.{l} repeat for each layer:")
        for name in hooks where !(name.hasPrefix("blocks.") && !name.hasPrefix("blocks.0.")) {
            print("  " + name)
        }
    }

    /// The stored dtypes and what is held in memory: the same, except matrices widened to F32 at
    /// load when a half-precision checkpoint has a constant folded into them (red-team 24: the line
    /// said "BF16 … in memory" for Granite and Cohere, whose folded matrices are F32 copies).
    static func dtypeSummary(_ model: TransformerModel) -> String {
        let stored = model.checkpointDTypes.joined(separator: ", ")
        let widened = model.checkpointDTypes.contains("F32") ? 0 : model.weights.float32MatrixBytes
        let held = widened == 0 ? " on disk and in memory"
            : " on disk; in memory too, except \(widened < 1_000_000 ? "\(widened) bytes" : MemoryCheckError.size(widened)) of matrices held in F32 (a constant folded into them at load)"
        return stored + held + " (products accumulate in F32)"
    }

    /// The position scheme, with RoBERTa's offset after the padding index (docs/methods.md §0.6).
    static func positionSummary(_ model: TransformerModel) -> String {
        let arch = model.architecture
        let padding = model.weights.embeddings.paddingIndex.map { ", counted after pad_token_id \($0)" } ?? ""
        let nope = arch.unrotatedLayers.isEmpty ? ""
            : "; no rotary (NoPE) in layer\(arch.unrotatedLayers.count == 1 ? "" : "s") " + arch.unrotatedLayers.sorted().map(String.init).joined(separator: ", ")
        return arch.position.summary + padding + nope + arch.windowSummary
    }

    /// How a block combines its parts: sequential or parallel residual, and QK-norm, norms after
    /// the branches and soft-caps when present.
    static func blockSummary(_ model: TransformerModel) -> String {
        let arch = model.architecture
        let block0 = model.weights.blocks.first
        let oneNorm = block0.map { $0.ln2.sharesStorage(with: $0.ln1) } ?? false   // Phi: ln2 is ln1
        var parts = [!arch.parallelResidual ? "sequential attention then MLP"
            : oneNorm ? "parallel attention and MLP on one norm (x + attn(ln1(x)) + mlp(ln2(x)), ln2 = ln1)"
            : "parallel attention and MLP (x + attn(ln1(x)) + mlp(ln2(x)))"]
        if block0?.attention.queryNorm != nil {
            let kind = arch.norm.name
            parts.append(arch.qkNormScope == .wholeProjection ? "QK-norm (\(kind) over the whole q and k projections)"
                         : "QK-norm (\(kind) per query and key head)")
        }
        switch arch.placement {
        case .sandwich: parts.append("norms before and after attention and MLP (ln1_post, ln2_post)")
        case .branchOutput: parts.append("norms on the attention and MLP outputs only (ln1_post, ln2_post)")
        case .pre, .post: break
        }
        if arch.parameterFreeNorms { parts.append("\(arch.norm.name)s without weight or bias (no norm tensors)") }   // OLMo
        if let c = arch.qkvClip {                                                    // OLMo, OLMoE
            parts.append("q, k, v clamped to ±\(c) (clip_qkv\(arch.qkvClipPoint == .afterQKNorm ? "; q, k after the QK-norm" : ""))")
        }
        if arch.attentionScale == 1 { parts.append("scores not scaled by 1/√dh") }   // GPT-Neo (GPT-2 without scale_attn_weights)
        if let cap = arch.attentionSoftCap { parts.append("scores soft-capped at \(cap)") }
        if let cap = arch.finalSoftCap { parts.append("logits soft-capped at \(cap)") }
        if let experts = arch.experts {
            let routing = if case .sparseMixer(let jitter) = experts.kind { "sparsemixer, jitter \(jitter))" }
                else { "softmax, top-k" + (experts.renormalizes ? ", renormalised)" : ", not renormalised)") }
            parts.append("sparse mixture of \(experts.count) gated-MLP experts, top-\(experts.topK) routing (" + routing
                         + (experts.sharedExpert ? (experts.sharedExpertGated ? " plus a sigmoid-gated shared expert" : " plus an ungated shared expert") : "")
                         + (experts.denseLayers.isEmpty ? "" : "; dense MLP in layers \(experts.denseLayers.map(String.init).joined(separator: ", "))"))
        }
        return parts.joined(separator: "; ")
    }

    static func formatCount(_ n: Int) -> String {
        n >= 1_000_000 ? String(format: "%.1fM", Double(n) / 1e6)
            : n >= 1_000 ? String(format: "%.1fk", Double(n) / 1e3) : "\(n)"
    }
}

extension HeadKind {
    var summary: String {
        switch self {
        case .languageModel: "language model (next-token logits)"
        case .maskedLanguageModel: "masked language model"
        case .sequenceClassification(let labels, .firstToken): "sequence classification: \(labels.joined(separator: ", "))"
        case .sequenceClassification(let labels, .mean):
            "sequence classification: \(labels.joined(separator: ", ")) (head on the mean of every position)"
        case .sequenceClassification(let labels, .lastNonPad(let pad)):
            "sequence classification: \(labels.joined(separator: ", ")) (score at the last token"
                + (pad.map { " that is not pad_token_id \($0))" } ?? "; pad_token_id null)")
        case .replacedTokenDetection: "replaced-token detection (ELECTRA discriminator: one logit per token)"
        case .none: "none (encoder only)"
        }
    }
}

extension PositionKind {
    var summary: String {
        switch self {
        case .learned: return "learned"
        case .none: return "none"
        case .alibi: return "ALiBi (per-head linear biases on the attention scores, no position embedding)"
        case .rotary(let rope):
            let scaling = switch rope.scaling {
            case .none: ""
            case .linear(let f): ", linear scaling ×\(f)"
            case .dynamic(let f): ", dynamic NTK scaling ×\(f)"
            case .llama3(let f, _, _, let original): ", llama3 scaling ×\(f) from \(original)"
            case .longrope(_, _, let original, let f): ", LongRoPE from \(original), attention factor \(f)"
            case .yarn(let y): ", YaRN ×\(y.factor) from \(String(format: "%g", y.originalMaxPositions)), attention factor \(y.attentionFactor)"
            }
            let pairs = rope.layout == .interleaved ? ", interleaved pairs" : ""
            // PhiMoE: its mscales replace the attention factor.
            let mscale = rope.mscale.map { ", cos/sin × \($0.short), × \($0.long) past \($0.originalMaxPositions)" } ?? ""
            return "rotary (\(rope.dimensions) dims\(pairs), θ \(rope.base)\(scaling)\(mscale))"
        }
    }
}

extension Architecture {
    var windowSummary: String {
        // Bidirectional windows (ModernBERT's local layers) are radii: keys within ±r.
        let sign = mask == .bidirectional ? "±" : ""
        let windows = slidingWindows.enumerated().compactMap { l, w in w.map { "layer \(l): \(sign)\($0)" } }
        guard !windows.isEmpty else { return "" }
        let listed = windows.count == layers ? "; sliding window \(sign)\(slidingWindows[0]!) in every layer"
            : "; sliding windows " + windows.joined(separator: ", ")
        return listed + localRotarySummary
    }

    /// The rotary table of the sliding-window layers where it is not the global one (Gemma 3's
    /// `rope_local_base_freq`, ModernBERT's `local_rope_theta`: ``Architecture/rotary(layer:)``).
    private var localRotarySummary: String {
        guard let local = slidingRotary, case .rotary(let global) = position, local != global else { return "" }
        return ", rotated there by " + PositionKind.rotary(local).summary
    }
}

extension NormKind {
    var name: String {
        switch self {
        case .layerNorm: "LayerNorm"
        case .rmsNorm: "RMSNorm"
        case .identity: "none"
        }
    }
}
