import Foundation

/// Gemma 3's multimodal checkpoints (`model_type` `gemma3`, `Gemma3ForConditionalGeneration`:
/// google/gemma-3-4b-it, 12b, 27b) read as their text model.
extension GemmaConfig {
    /// The `model_type` of the multimodal checkpoints.
    static let multimodalType = "gemma3"
    /// The class whose text model Glassbox runs.
    static let multimodalClass = "Gemma3ForConditionalGeneration"

    /// A `gemma3` config as transformers 4.53.3 builds the text model from it: `text_config`
    /// decoded as a `gemma3_text` config with that type's defaults (absent or `null`: all of them,
    /// as `Gemma3TextConfig()`); its own `model_type` is not read (`Gemma3TextConfig(**text_config)`
    /// does not look at it). No top-level key changes the text model: the head is tied as
    /// `text_config.tie_word_embeddings` says (`tie_weights` reads `get_text_config(decoder=True)`),
    /// and the masks and rotary tables come from the text config. `final_logit_softcapping` is
    /// not read, so any value loads (0 and negative ones too, which a `gemma3_text` config
    /// refuses): `Gemma3ForConditionalGeneration.forward` never applies it (only
    /// `Gemma3ForCausalLM` does). The vision settings (`vision_config`, `mm_tokens_per_image`, the image token ids) are
    /// not read here (the load still refuses a vision tower's size written as a float, as
    /// transformers does: `IntegerConfigFields.unreadMembers`). Errors name their key as
    /// `text_config.KEY`.
    init(multimodal c: KeyedDecodingContainer<CodingKeys>) throws {
        do {
            if c.contains(.textConfig), try !c.decodeNil(forKey: .textConfig) {
                try self.init(c.nestedContainer(keyedBy: CodingKeys.self, forKey: .textConfig), family: .gemma3Text,
                              readsFinalCap: false)
            } else {
                self = try JSONDecoder().decode(DefaultTextConfig.self, from: Data("{}".utf8)).config
            }
        } catch let error as ConfigValidationError where !error.key.hasPrefix("text_config.") {
            throw ConfigValidationError(key: "text_config." + error.key, detail: error.detail)
        }
        textModelOf = Self.multimodalClass
    }
}

/// `Gemma3TextConfig()`: a `gemma3_text` config of defaults only (a `gemma3` config without
/// `text_config`).
private struct DefaultTextConfig: Decodable {
    /// The decoded config.
    let config: GemmaConfig

    init(from decoder: Decoder) throws {
        config = try GemmaConfig(decoder.container(keyedBy: GemmaConfig.CodingKeys.self), family: .gemma3Text)
    }
}
