import Foundation

/// The config fields that must be written as integer literals: those `transformers` 4.53.3
/// refuses as a float (`"hidden_size": 32.0`), because it passes them to torch as sizes
/// (`nn.Linear`, `nn.Embedding`, `torch.empty`, `Tensor.view`, `torch.topk`) or to `range()`
/// (TypeError when the model is built or first run). The rest of the integer fields (sliding
/// windows, rope bases, `max_window_layers`, a rotary family's `max_position_embeddings`, …) load
/// as transformers loads them: `4.0` reads as 4.
///
/// Measured, not guessed: scripts/fixtures/generate_integer_fields.py respells each integer field
/// of every fixture model and records what transformers does
/// (Tests/Fixtures/config-integers/fields.json); IntegerFieldTests holds this table to it.
enum IntegerConfigFields {
    /// Refused in every family that has the field: sizes and counts.
    static let everywhere: [String] = CheckpointCounts.layerKeys + CheckpointCounts.expertKeys + [
        "hidden_size", "n_embd", "dim",
        "intermediate_size", "n_inner", "hidden_dim",
        "num_attention_heads", "n_head", "n_heads", "num_key_value_heads", "head_dim",
        "vocab_size", "type_vocab_size", "n_positions", "num_experts_per_tok",
        "image_size", "patch_size", "num_channels",
    ]

    /// Families whose positions are a learned table, `nn.Embedding(max_position_embeddings, d)`;
    /// the rotary families only compare positions with the number.
    static let learnedPositionFamilies: Set<String> = ["bert", "distilbert", "roberta", "xlm-roberta", "camembert", "gpt_neo",
                                                        "opt", "electra", "albert"]

    /// Families whose token embedding takes no `padding_idx`; every other family builds
    /// `nn.Embedding(vocab_size, d, padding_idx=pad_token_id)`, which fails on a float id
    /// (IndexError; checked for every supported family with the reference venv).
    static let noPaddingIndexFamilies: Set<String> = ["gpt2", "gpt_neox", "vit", "gptj", "gpt_neo", "bloom", "codegen"]

    /// GPT-Neo's own names: `num_heads` reaches `Tensor.view`, and `window_size` is the diagonal of
    /// `torch.tril` in a local layer (refused in every GPT-Neo config, a global-only one included,
    /// where transformers would not read it).
    static let gptNeoFields = ["num_heads", "window_size"]

    /// The fields `modelType`'s model of class `architecture` (the config's first
    /// `architectures` entry) refuses as floats.
    static func fields(modelType: String, architecture: String?) -> [String] {
        var fields = everywhere
        if learnedPositionFamilies.contains(modelType) { fields.append("max_position_embeddings") }
        if !noPaddingIndexFamilies.contains(modelType) { fields.append("pad_token_id") }
        if modelType == "gpt_neo" { fields += gptNeoFields }
        // ViTModel builds a pooler, nn.Linear(hidden_size, pooler_output_size); the classifier does not.
        if modelType == "vit" && architecture == "ViTModel" { fields.append("pooler_output_size") }
        // GPT-J and CodeGen: n_positions only sizes torch.arange for the sin/cos table (a float is fine there);
        // rotary_dim slices q and k (a float is a TypeError in the first forward).
        if modelType == "gptj" || modelType == "codegen" { fields.removeAll { $0 == "n_positions" }; fields.append("rotary_dim") }
        if modelType == "falcon" { fields.append("ffn_hidden_size") }   // FalconMLP's nn.Linear sizes
        if modelType == "electra" { fields.append("embedding_size") }   // the embedding tables' and embeddings_project's width
        if modelType == "opt" { fields += ["ffn_dim", "word_embed_proj_dim"] }   // fc1 / fc2, embed_tokens sizes
        // Qwen MoE: the expert count and widths size nn.Linear / nn.ModuleList (the shared expert's: Qwen2-MoE only).
        if modelType == "qwen2_moe" { fields += ["num_experts", "moe_intermediate_size", "shared_expert_intermediate_size"] }
        if modelType == "qwen3_moe" { fields += ["num_experts", "moe_intermediate_size"] }
        if modelType == "olmoe" { fields.append("num_experts") }   // OlmoeSparseMoeBlock's gate and expert list
        if modelType == "granitemoeshared" { fields.append("shared_intermediate_size") }   // GraniteMoeSharedMLP's nn.Linear sizes
        // PhiMoE: sparsemixer always takes two experts; only the auxiliary loss reads num_experts_per_tok.
        if modelType == "phimoe" { fields.removeAll { $0 == "num_experts_per_tok" } }
        // ALBERT: the embedding width sizes nn.Embedding / nn.LayerNorm, the group counts nn.ModuleList.
        if modelType == "albert" { fields += ["embedding_size", "num_hidden_groups", "inner_group_num"] }
        return fields
    }

    /// Sub-configs of a composite checkpoint that Glassbox does not read but transformers builds
    /// modules from: `model_type` → (member, the fields it refuses as floats). Gemma 3's vision
    /// tower (`vision_config`, SiglipVisionConfig): building it passes its sizes to torch, so
    /// transformers cannot load the checkpoint; `num_attention_heads` only reaches torch when an
    /// image is run (`view`), so a text run takes `2.0`, and Glassbox does too.
    static let unreadMembers: [String: (key: String, fields: [String])] = [
        "gemma3": ("vision_config", ["hidden_size", "intermediate_size", "num_hidden_layers",
                                     "image_size", "patch_size", "num_channels"]),
    ]

    /// Throws `LoadError.invalidConfig` for the first of ``fields(modelType:architecture:)`` that
    /// `config` writes as a whole number with a fraction or an exponent.
    static func check(_ config: ConfigFile, modelType: String) throws {
        for key in fields(modelType: modelType, architecture: config.firstArchitecture) {
            try config.requireIntegerLiteral(key)
        }
    }

    /// Throws `LoadError.invalidConfig` (naming `vision_config.KEY`) for the first field of
    /// ``unreadMembers`` that the top-level `config` of `modelType` writes as a float.
    static func checkUnreadMembers(_ config: ConfigFile, modelType: String) throws {
        guard let (key, fields) = unreadMembers[modelType], let member = config.member(key) else { return }
        for field in fields {
            try member.requireIntegerLiteral(field)
        }
    }
}
