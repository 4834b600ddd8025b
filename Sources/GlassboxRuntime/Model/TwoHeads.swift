import Foundation

/// Encoder checkpoints (BERT, RoBERTa, DistilBERT) whose weights hold both the masked-LM head and a
/// classifier: only `config.json`'s `architectures` can say which one to run.
enum TwoHeads {
    /// Throws `LoadError.invalidConfig` (key `architectures`) when `head` is nil — `architectures`
    /// is absent, empty, not a list of class names, or names a class Glassbox does not know — and
    /// the checkpoint has both heads (`masked`, `classifier`). `maskedWeights` and
    /// `classifierWeights` are the heads' weight-name patterns shown (`cls.predictions.*`).
    static func refuse(head: RequestedHead?, masked: Bool, classifier: Bool, maskedWeights: String,
                       classifierWeights: String, modelType: String, file: URL) throws {
        guard head == nil, masked, classifier else { return }
        let classes = HeadClass.encoderClasses[modelType] ?? [:]
        let maskedClass = classes.keys.sorted().first { $0.hasSuffix("ForMaskedLM") } ?? "…ForMaskedLM"
        let classifierClass = classes.keys.sorted().first { classes[$0] == .sequenceClassification } ?? "…ForSequenceClassification"
        throw LoadError.invalidConfig(file: file.path, key: "architectures", detail:
            "names no \(modelType) class Glassbox runs, and the weights hold two heads: a masked-LM head (\(maskedWeights)) "
            + "and a classifier (\(classifierWeights)); set it to [\"\(maskedClass)\"] or [\"\(classifierClass)\"] to choose one")
    }
}
