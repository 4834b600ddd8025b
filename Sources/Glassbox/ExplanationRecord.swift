import Foundation
import GlassboxFiles

/// An explanation as the `explain` command writes it with `--json` and `glassbox render` reads it
/// back: everything needed to redraw the picture without the model, with provenance. Encoded as
/// JSON with these property names as keys.
public struct ExplanationRecord: Codable, Sendable, Equatable {
    /// Version of the library that wrote the record (`GlassboxVersion.string`).
    public var glassbox: String = GlassboxVersion.string
    /// The command that produced it; always `"explain"` (`read(_:)` rejects anything else).
    public var command: String = "explain"
    /// The model that was explained.
    public var model: ModelSummary
    /// Method name as the CLI spells it (`attnlrp`, `atman`, `rollout`, …); `TokenScores.method`.
    public var method: String
    /// The method's parameters and the CLI's choices (seed, contrast token, compared text), for
    /// provenance; keys as the method names them.
    public var parameters: [String: String]
    /// The prediction that was explained.
    public var target: Target
    /// One entry per input token (or per word with `--words`), in input order, with its score.
    public var tokens: [Token]
    /// Method-specific additions (patch grid, head and neuron scores, …).
    public var extra: Extra

    /// Which model produced the record.
    public struct ModelSummary: Codable, Sendable, Equatable {
        /// The model as it was named: a folder, a Hugging Face id or a bundled name.
        public var name: String
        /// Absolute path of the model folder.
        public var path: String
        /// `config.json`'s `model_type` (`gpt2`, `llama`, `bert`, `vit`, …).
        public var architecture: String
        /// Number of transformer blocks.
        public var layers: Int
        /// Attention heads per layer.
        public var heads: Int

        /// A summary from its fields, as listed above.
        public init(name: String, path: String, architecture: String, layers: Int, heads: Int) {
            (self.name, self.path, self.architecture, self.layers, self.heads) = (name, path, architecture, layers, heads)
        }
    }

    /// The explained prediction.
    public struct Target: Codable, Sendable, Equatable {
        /// Token id or class index; -1 when nothing is predicted (a model without an output layer,
        /// or `--compare`).
        public var id: Int
        /// Display text of the token, or the class label.
        public var text: String
        /// The position whose prediction is explained.
        public var position: Int
        /// The target's logit at `position`; nil when nothing is predicted (see `id`).
        public var logit: Double?
        /// The target's softmax probability over all outputs at `position`, in [0, 1]; nil when
        /// nothing is predicted.
        public var prob: Double?

        /// A target from its fields, as listed above.
        public init(id: Int, text: String, position: Int, logit: Double?, prob: Double?) {
            (self.id, self.text, self.position, self.logit, self.prob) = (id, text, position, logit, prob)
        }
    }

    /// One input token (or word, with `--words`) and its score.
    public struct Token: Codable, Sendable, Equatable {
        /// Token id; nil for a word (`--words`) and for an image patch.
        public var id: Int?
        /// Display text of the token or word.
        public var text: String
        /// Byte offsets into the UTF-8 input (`nil` for `--ids` input).
        public var start: Int?
        /// End (exclusive) of the byte range that `start` begins; nil when `start` is.
        public var end: Int?
        /// The method's score for this token (summed over its tokens for a word); sign and scale
        /// are the method's (relevance, ΔCE, attention weight, …).
        public var score: Double

        /// A token entry from its fields, as listed above.
        public init(id: Int?, text: String, start: Int?, end: Int?, score: Double) {
            (self.id, self.text, self.start, self.end, self.score) = (id, text, start, end, score)
        }
    }

    /// Method-specific additions.
    public struct Extra: Codable, Sendable, Equatable {
        /// Vision models: patch scores as grid rows × columns.
        public var patches: [[Double]]?
        /// Vision models: the image that was explained.
        public var image: String?
        /// Vision models: the rectangle of `image`, in its own pixels, that the patch grid covers
        /// (the region the model saw, through the checkpoint's resize and center crop); absent in
        /// records written before it existed, which are drawn over the whole image.
        public var patchRegion: ImageRegion?
        /// Relevance on position embeddings etc. (gradient methods).
        public var positionRelevance: Double?
        /// Per-head scores `[layer][head]` (e.g. AttnLRP head relevance).
        public var heads: [[Double]]?
        /// The most relevant FFN neurons over all layers, largest |relevance| first (`--neurons`).
        public var neurons: [NeuronScore]?
        /// Whether scores were aggregated per word.
        public var words: Bool?
        /// Index into `tokens` of the entry holding the explained position (words: the word).
        public var targetIndex: Int?
        /// True when the prompt went through the checkpoint's chat template (`--chat`).
        public var chat: Bool?
        /// With `--chat`: the template's rendering, the text the tokens' offsets point into.
        public var chatPrompt: String?

        /// Additions from their fields, as listed above; every one is optional.
        public init(patches: [[Double]]? = nil, image: String? = nil, patchRegion: ImageRegion? = nil, positionRelevance: Double? = nil,
                    heads: [[Double]]? = nil, neurons: [NeuronScore]? = nil, words: Bool? = nil, targetIndex: Int? = nil,
                    chat: Bool? = nil, chatPrompt: String? = nil) {
            (self.patches, self.image, self.patchRegion, self.positionRelevance) = (patches, image, patchRegion, positionRelevance)
            self.heads = heads
            (self.neurons, self.words, self.targetIndex) = (neurons, words, targetIndex)
            (self.chat, self.chatPrompt) = (chat, chatPrompt)
        }
    }

    /// One FFN neuron's relevance: at the input of layer `layer`'s MLP output projection
    /// (`mlp.hook_post`), summed over positions.
    public struct NeuronScore: Codable, Sendable, Equatable {
        /// Index of the layer, 0-based.
        public var layer: Int
        /// Index of the neuron in the MLP hidden layer, in `0..<intermediateSize`.
        public var neuron: Int
        /// The neuron's relevance, summed over positions (signed).
        public var relevance: Double

        /// A neuron score from its fields, as listed above.
        public init(layer: Int, neuron: Int, relevance: Double) {
            (self.layer, self.neuron, self.relevance) = (layer, neuron, relevance)
        }
    }

    /// A record of one explanation; `glassbox` and `command` take their fixed values.
    public init(model: ModelSummary, method: String, parameters: [String: String], target: Target,
                tokens: [Token], extra: Extra = Extra()) {
        (self.model, self.method, self.parameters, self.target, self.tokens, self.extra) =
            (model, method, parameters, target, tokens, extra)
    }

    /// Pretty, key-sorted JSON.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a record written by `explain --json`; a file that is not one is a clear error.
    public static func read(_ url: URL) throws -> ExplanationRecord {
        let data: Data
        do { data = try InputFile.readJSON(url, limit: InputLimits.resultFileBytes) } catch let error as InputFileError {
            throw error
        } catch {
            throw RecordError.unreadable(file: url.path, reason: "cannot read it (\(error.localizedDescription))")
        }
        do {
            let record = try JSONDecoder().decode(ExplanationRecord.self, from: data)
            guard record.command == "explain" else {
                throw RecordError.unreadable(file: url.path, reason: "it holds a '\(record.command)' result, not an explanation")
            }
            if let problem = record.extra.patchRegion?.problem {
                throw RecordError.unreadable(file: url.path, reason: "extra.patchRegion: \(problem)")
            }
            return record
        } catch let error as RecordError {
            throw error
        } catch {
            throw RecordError.unreadable(file: url.path, reason: "it is not an explanation written by `glassbox explain --json`")
        }
    }
}

/// A result file that cannot be used.
public enum RecordError: Error, LocalizedError, Equatable {
    /// The file at path `file` cannot be read or is not an `explain` record; `reason` says which.
    case unreadable(file: String, reason: String)

    /// One readable line: the file and the reason.
    public var errorDescription: String? {
        switch self {
        case .unreadable(let file, let reason): "\(file): \(reason)"
        }
    }
}
