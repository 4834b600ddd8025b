import Foundation
import GlassboxFiles

/// A sequence attribution as `explain --generate` / `--continuation` writes it with `--json` and
/// `glassbox render` reads it back (docs/methods.md §12): the generated tokens with their step
/// scores, all tokens, and the targets × sources matrix (null for a source at or after its
/// target). Encoded as JSON with these property names as keys; `render` tells it from a
/// single-step `ExplanationRecord` by the `"matrix"` key.
public struct SequenceExplanationRecord: Codable, Sendable, Equatable {
    /// Version of the library that wrote the record (`GlassboxVersion.string`).
    public var glassbox: String = GlassboxVersion.string
    /// The command that produced it; always `"explain"`.
    public var command: String = "explain"
    /// The model that was explained.
    public var model: ExplanationRecord.ModelSummary
    /// Method name as the CLI spells it (`attnlrp`, `cp-lrp`, `grad-input`, `atman`, `rollout`).
    public var method: String
    /// The method's parameters and the CLI's choices (mode, contrast, boundary), for provenance.
    public var parameters: [String: String]
    /// `token`, `word` or `sentence`: what the rows and columns are.
    public var unit: String
    /// One entry per target row (a generated token, or a word or sentence holding generated tokens).
    public var generated: [Generated]
    /// Every column: the prompt's and the generated tokens (or words, sentences), in order.
    public var tokens: [Token]
    /// `[generated.count][tokens.count]`: score of source `j` for target `i`; nil (JSON null) for a
    /// source at or after the target.
    public var matrix: [[Double?]]
    /// Indices into `generated` drawn as token strips beside the heatmap (`--targets`).
    public var strips: [Int]
    /// True when the prompt went through the checkpoint's chat template (`--chat`); absent otherwise.
    public var chat: Bool? = nil
    /// With `--chat`: the template's rendering, the text the prompt tokens' offsets point into.
    public var chatPrompt: String? = nil

    /// One target row and its step scores.
    public struct Generated: Codable, Sendable, Equatable {
        /// The token id; nil for a word or sentence row.
        public var id: Int?
        /// Display text.
        public var text: String
        /// Its index in `tokens` (a word or sentence: the group's index).
        public var position: Int
        /// Probability of the token at its step (a group: the product over its tokens), in [0, 1].
        public var prob: Double
        /// Entropy (nats) of the step's distribution (a group: the mean over its tokens).
        public var entropy: Double
        /// `logit(token) − logit(contrast)` at the step, with `--contrast` (tokens only).
        public var contrast: Double?

        /// A row from its fields, as listed above.
        public init(id: Int?, text: String, position: Int, prob: Double, entropy: Double, contrast: Double? = nil) {
            (self.id, self.text, self.position, self.prob, self.entropy, self.contrast) = (id, text, position, prob, entropy, contrast)
        }
    }

    /// One column.
    public struct Token: Codable, Sendable, Equatable {
        /// Token id; nil for a word or sentence.
        public var id: Int?
        /// Display text.
        public var text: String
        /// Byte offsets into the whole text (prompt + continuation); nil for `--ids` input.
        public var start: Int?
        /// End (exclusive) of the byte range; nil when `start` is.
        public var end: Int?
        /// Whether the column is (or, for a group, holds) a generated token.
        public var generated: Bool

        /// A column from its fields, as listed above.
        public init(id: Int?, text: String, start: Int?, end: Int?, generated: Bool) {
            (self.id, self.text, self.start, self.end, self.generated) = (id, text, start, end, generated)
        }
    }

    /// A record from its parts; `glassbox` and `command` take their fixed values.
    public init(model: ExplanationRecord.ModelSummary, method: String, parameters: [String: String], unit: String,
                generated: [Generated], tokens: [Token], matrix: [[Double?]], strips: [Int] = []) {
        (self.model, self.method, self.parameters, self.unit) = (model, method, parameters, unit)
        (self.generated, self.tokens, self.matrix, self.strips) = (generated, tokens, matrix, strips)
    }

    /// Pretty, key-sorted JSON (nil matrix cells as `null`).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Checks the shapes a decoded record must have (matrix `[generated][tokens]`, positions and
    /// strips in range) and that every score is finite as the float32 it is drawn as; the message
    /// names the first mismatch.
    public func validate() throws {
        try validate(rowLengths: matrix.map(\.count))
        for (i, row) in matrix.enumerated() {
            if let (j, score) = row.enumerated().first(where: { $0.element.map { Float32Narrowing.narrow($0) == nil } ?? false }) {
                throw RecordError.unreadable(file: "sequence explanation",
                                             reason: Float32Narrowing.refusal(score!, at: "matrix[\(i)][\(j)]", what: "score"))
            }
        }
    }

    /// `validate()` for a matrix held elsewhere (`SequenceRecordScores`): `rowLengths` are the
    /// lengths of its rows.
    func validate(rowLengths: [Int]) throws {
        func fail(_ reason: String) -> RecordError { .unreadable(file: "sequence explanation", reason: reason) }
        guard !generated.isEmpty, !tokens.isEmpty else { throw fail("it has no generated tokens or no tokens") }
        guard rowLengths.count == generated.count else { throw fail("\(rowLengths.count) matrix rows for \(generated.count) generated tokens") }
        if let bad = rowLengths.firstIndex(where: { $0 != tokens.count }) {
            throw fail("matrix row \(bad) has \(rowLengths[bad]) values for \(tokens.count) tokens")
        }
        if let bad = generated.first(where: { $0.position < 0 || $0.position >= tokens.count }) {
            throw fail("generated token “\(bad.text)” at position \(bad.position) outside 0..<\(tokens.count)")
        }
        if let bad = strips.first(where: { $0 < 0 || $0 >= generated.count }) { throw fail("strip \(bad) outside 0..<\(generated.count)") }
    }
}
