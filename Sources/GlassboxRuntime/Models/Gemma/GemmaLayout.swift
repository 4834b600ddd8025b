import GlassboxModelIO

/// Where a Gemma checkpoint keeps its text model's tensors.
///
/// A text-only checkpoint: `model.` (`…ForCausalLM`) or nothing (bare `…Model`), `lm_head.weight`.
/// A `Gemma3ForConditionalGeneration` checkpoint holds the text model beside a SigLIP vision tower
/// and a projector, in one of two layouts transformers 4.53.3 loads (its
/// `_checkpoint_conversion_mapping`):
/// - `language_model.model.*`, `language_model.lm_head.weight`, `vision_tower.*`,
///   `multi_modal_projector.*`: the hub checkpoints, and what 4.53's `save_pretrained` still
///   writes (it maps the names back);
/// - `model.language_model.*`, `lm_head.weight`, `model.vision_tower.*`,
///   `model.multi_modal_projector.*`: the module names of 4.52 and later (a `state_dict` saved
///   as is).
/// A bare `Gemma3Model` keeps `language_model.*`. The vision and projector tensors are ignorable:
/// never read, mapped only.
struct GemmaLayout {
    /// Prefix of the text model's tensors (`model.`, `language_model.model.`, …).
    let prefix: String
    /// Full names an untied LM head may have, the layout's own first.
    let headNames: [String]
    /// Patterns (regular expressions over full names) of tensors the text model does not use.
    let ignorable: [String]

    /// The layout of `checkpoint`, found from where `embed_tokens.weight` is; `multimodal`: the
    /// config is a `gemma3` one (only then are the composite layouts looked for).
    init(checkpoint: Checkpoint, multimodal: Bool) {
        guard multimodal else {
            prefix = checkpoint.contains("model.embed_tokens.weight") ? "model." : ""
            headNames = ["lm_head.weight"]
            ignorable = []
            return
        }
        let prefixes = ["language_model.model.", "model.language_model.", "language_model."]
        prefix = prefixes.first { checkpoint.contains($0 + "embed_tokens.weight") } ?? prefixes[0]
        headNames = prefix == "language_model.model." ? ["language_model.lm_head.weight", "lm_head.weight"]
            : ["lm_head.weight", "language_model.lm_head.weight"]
        ignorable = [#"(model\.)?(vision_tower|multi_modal_projector)\..+"#]
    }
}
