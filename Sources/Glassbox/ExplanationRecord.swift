import Foundation

/// An explanation as the `explain` command writes it with `--json` and `glassbox render` reads it
/// back: everything needed to redraw the picture without the model, with provenance
/// (`../shared/design/CLI.md`, "JSON shapes").
public struct ExplanationRecord: Codable, Sendable, Equatable {
    public var glassbox: String = GlassboxVersion.string
    public var command: String = "explain"
    public var model: ModelSummary
    public var method: String
    public var parameters: [String: String]
    public var target: Target
    public var tokens: [Token]
    public var extra: Extra

    /// Which model produced the record.
    public struct ModelSummary: Codable, Sendable, Equatable {
        public var name: String
        public var path: String
        public var architecture: String
        public var layers: Int
        public var heads: Int

        public init(name: String, path: String, architecture: String, layers: Int, heads: Int) {
            (self.name, self.path, self.architecture, self.layers, self.heads) = (name, path, architecture, layers, heads)
        }
    }

    /// The explained prediction.
    public struct Target: Codable, Sendable, Equatable {
        /// Token id or class index.
        public var id: Int
        public var text: String
        /// The position whose prediction is explained.
        public var position: Int
        public var logit: Double?
        public var prob: Double?

        public init(id: Int, text: String, position: Int, logit: Double?, prob: Double?) {
            (self.id, self.text, self.position, self.logit, self.prob) = (id, text, position, logit, prob)
        }
    }

    /// One input token (or word, with `--words`) and its score.
    public struct Token: Codable, Sendable, Equatable {
        public var id: Int?
        public var text: String
        /// Byte offsets into the UTF-8 input (`nil` for `--ids` input).
        public var start: Int?
        public var end: Int?
        public var score: Double

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

        public init(patches: [[Double]]? = nil, image: String? = nil, positionRelevance: Double? = nil,
                    heads: [[Double]]? = nil, neurons: [NeuronScore]? = nil, words: Bool? = nil, targetIndex: Int? = nil) {
            (self.patches, self.image, self.positionRelevance, self.heads) = (patches, image, positionRelevance, heads)
            (self.neurons, self.words, self.targetIndex) = (neurons, words, targetIndex)
        }
    }

    /// One FFN neuron's relevance: at the input of layer `layer`'s MLP output projection
    /// (`mlp.hook_post`), summed over positions.
    public struct NeuronScore: Codable, Sendable, Equatable {
        public var layer: Int
        public var neuron: Int
        public var relevance: Double

        public init(layer: Int, neuron: Int, relevance: Double) {
            (self.layer, self.neuron, self.relevance) = (layer, neuron, relevance)
        }
    }

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
        do { data = try Data(contentsOf: url) } catch {
            throw RecordError.unreadable(file: url.path, reason: "cannot read it (\(error.localizedDescription))")
        }
        do {
            let record = try JSONDecoder().decode(ExplanationRecord.self, from: data)
            guard record.command == "explain" else {
                throw RecordError.unreadable(file: url.path, reason: "it holds a '\(record.command)' result, not an explanation")
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
    case unreadable(file: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .unreadable(let file, let reason): "\(file): \(reason)"
        }
    }
}
