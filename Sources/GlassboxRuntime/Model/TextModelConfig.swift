/// Composite checkpoints whose text model Glassbox runs keep its sizes in a nested config.
enum TextModelConfig {
    /// `model_type` → (the member holding the text model's config, that config's `model_type`).
    static let nested: [String: (key: String, modelType: String)] = ["gemma3": ("text_config", "gemma3_text")]

    /// The config whose sizes and counts the load checks (`IntegerConfigFields`,
    /// `CheckpointCounts`), and its `model_type`: `text_config` (as `gemma3_text`) for a `gemma3`
    /// config that has one, else `config` itself.
    static func sizes(of config: ConfigFile, modelType: String) -> (ConfigFile, String) {
        guard let (key, textType) = nested[modelType], let member = config.member(key) else { return (config, modelType) }
        return (member, textType)
    }
}
