import GlassboxRuntime
import GlassboxTensor

/// Which embedding matrix turns parameters into tokens (Dar et al., ACL 2023, §2–3).
///
/// Dar et al. project everything with the output embedding `E` (GPT-2 ties it to the input
/// embedding, so the choice never arose). For untied models Glassbox reads *readers* (FFN keys,
/// `W_Q`, `W_K`, `W_V`, the attended token of `W_VO`) with the input embedding and *writers* (FFN
/// values, the output side of `W_VO`) with the unembedding (docs/methods.md §5.2, a design decision).
public enum EmbeddingChoice: String, Sendable, Codable, CaseIterable {
    /// Readers: the input embedding; writers: the unembedding.
    case standard
    /// The unembedding everywhere (Dar et al.'s code, `model.get_output_embeddings()`).
    case output
    /// The input embedding everywhere.
    case input
}

/// The resolved matrices of an `EmbeddingChoice` for one model: `[V, d]` rows per token (or class).
///
/// - Language models: input = the token table, output = the LM head (`[V, d]`, tied or not).
/// - BERT masked LM: output = the MLM decoder (tied to the word embeddings); the head's transform
///   and LayerNorm are not applied (parameters are projected raw, as Dar et al. do).
/// - Encoders without a token head (a BERT encoder or classifier): the word embeddings on both
///   sides; `approximate` is set for writers, which never meet them in the forward pass.
/// - ViT classifiers: the classifier rows (classes) on both sides, Vilas et al.'s class embedding
///   space; a ViT without a classifier has no space.
public struct EmbeddingSpace: Sendable {
    /// The choice this space was resolved from.
    public let choice: EmbeddingChoice
    /// `[V, d]` for readers.
    public let readers: Tensor
    /// `[V, d]` for writers.
    public let writers: Tensor
    /// What `readers` is (e.g. "input embedding"), for provenance.
    public let readerLabel: String
    /// What `writers` is (e.g. "unembedding (lm_head)"), for provenance.
    public let writerLabel: String
    /// True when writers are read with a matrix the model never uses for output.
    public let approximate: Bool
    /// Class names when the space is a classifier's.
    public let classLabels: [String]?

    /// Number of rows `V` (tokens or classes) of `writers`.
    public var size: Int { writers.shape[0] }

    /// The display texts for this space: class names, else the caller's token texts.
    public func texts(_ tokenTexts: [String]?) -> [String]? { classLabels ?? tokenTexts }

    /// The matrices `choice` selects in `model` (see the type's documentation). Throws
    /// `AnalysisError.invalidOption` when the model has no matrix of the kind asked for (e.g. `.output`
    /// for an encoder without a head, or a ViT without a classifier).
    public static func resolve(_ model: TransformerModel, _ choice: EmbeddingChoice = .standard) throws -> EmbeddingSpace {
        let arch = model.architecture, w = model.weights
        if let projection = w.embeddings.projection {
            throw AnalysisError.invalidOption("\(arch.modelType)'s token embeddings are \(projection.inFeatures) wide and mapped to the "
                + "\(arch.dModel)-wide residual stream by a linear layer (its MLM decoder reads that width too), so no embedding matrix "
                + "has rows in the residual stream to project parameters onto")
        }
        let token = w.embeddings.token.float32()                         // [V, d], converted
        // ELECTRA's tables (and its generator's decoder) are embedding_size wide: not on the residual stream.
        let hasTokens = token.rank == 2 && token.shape[0] > 0 && token.shape[1] == arch.dModel
        var output: (Tensor, String)?
        var labels: [String]?
        if let unembed = w.head.unembed, unembed.inFeatures == arch.dModel {
            switch arch.head {
            case .languageModel:
                output = (WeightSlices.outIn(unembed), "unembedding (lm_head)")
            case .maskedLanguageModel:
                output = (WeightSlices.outIn(unembed), "MLM decoder (tied word embeddings)")
            case .sequenceClassification(let names, let pooling) where arch.image != nil || pooling.isLastNonPad:
                // ViT's classifier and a decoder's score read the final norm's output, as an unembedding.
                output = (WeightSlices.outIn(unembed), "classifier (class embeddings)")
                labels = names
            case .sequenceClassification, .replacedTokenDetection, .none:
                break
            }
        }
        let input: (Tensor, String)? = hasTokens ? (token, "input embedding") : nil
        guard let any = output ?? input else {
            throw AnalysisError.invalidOption("\(arch.modelType) has neither a token embedding nor a classifier on the residual stream to project onto")
        }
        // Readers fall back to the output side where there is no input table (ViT), writers to the
        // input table where there is no output head (encoders).
        let reader: (Tensor, String), writer: (Tensor, String)
        switch choice {
        case .standard: (reader, writer) = (input ?? any, output ?? any)
        case .output:
            guard let output else {
                throw AnalysisError.invalidOption("\(arch.modelType) has no output embedding; use the input embedding")
            }
            (reader, writer) = (output, output)
        case .input:
            guard let input else {
                throw AnalysisError.invalidOption("\(arch.modelType) has no input token embedding; use the output embedding")
            }
            (reader, writer) = (input, input)
        }
        return EmbeddingSpace(choice: choice, readers: reader.0, writers: writer.0, readerLabel: reader.1,
                              writerLabel: writer.1, approximate: output == nil, classLabels: labels)
    }
}
