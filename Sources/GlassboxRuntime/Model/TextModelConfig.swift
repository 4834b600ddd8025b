/// Composite checkpoints whose text model Glassbox runs keep its sizes in a nested config.
enum TextModelConfig {
    /// `model_type` → (the member holding the text model's config, that config's `model_type`, the
    /// name prefixes of the text model's tensors in the layouts its loader reads: `GemmaLayout`).
    static let nested: [String: (key: String, modelType: String, tensorPrefixes: [String])] =
        ["gemma3": ("text_config", "gemma3_text", ["language_model.", "model.language_model."])]

    /// The config whose sizes and counts the load checks (`IntegerConfigFields`,
    /// `CheckpointCounts`), and its `model_type`: `text_config` (as `gemma3_text`) for a `gemma3`
    /// config that has one, else `config` itself.
    static func sizes(of config: ConfigFile, modelType: String) -> (ConfigFile, String) {
        guard let (key, textType, _) = nested[modelType], let member = config.member(key) else { return (config, modelType) }
        return (member, textType)
    }

    /// The name prefixes of the text model's tensors in a `modelType` checkpoint — what
    /// `CheckpointCounts` counts layers in, so a vision tower's `encoder.layers.N` does not stand
    /// for the text model's — or nil where every tensor counts (a text-only checkpoint).
    static func tensorPrefixes(modelType: String) -> [String]? {
        nested[modelType]?.tensorPrefixes
    }
}
