import Foundation
import Glassbox

/// What an explain result explains, for `render --with`: the model (architecture and size; its
/// path may differ between machines) and the tokens (ids and texts; a sequence explanation's
/// prompt and generated tokens, the columns of its matrix). Results of one input share it: the
/// same model shape and token ids (texts only where a token has no id).
struct ExplainedInput {
    let architecture: String
    let layers: Int
    let heads: Int
    let ids: [Int?]
    let texts: [String]

    init(_ record: ExplanationRecord) {
        (architecture, layers, heads) = (record.model.architecture, record.model.layers, record.model.heads)
        (ids, texts) = (record.tokens.map(\.id), record.tokens.map(\.text))
    }

    init(_ record: SequenceExplanationRecord) {
        (architecture, layers, heads) = (record.model.architecture, record.model.layers, record.model.heads)
        (ids, texts) = (record.tokens.map(\.id), record.tokens.map(\.text))
    }

    /// Refuses `path`'s result (input `other`) when it does not explain this input, `first`'s: a
    /// `FileProblem` naming `path`, saying what differs.
    func check(_ other: ExplainedInput, of first: String, path: String) throws {
        try other.differs(from: self, of: first, path: path)
    }

    /// Whether token `i` is the same in both: by id where both have one (a sequence record and a
    /// single explanation spell a SentencePiece token's text with and without its leading space),
    /// by text otherwise.
    private func sameToken(_ i: Int, _ reference: ExplainedInput) -> Bool {
        if let id = ids[i], let other = reference.ids[i] { return id == other }
        return ids[i] == nil && reference.ids[i] == nil && texts[i] == reference.texts[i]
    }

    private func differs(from reference: ExplainedInput, of first: String, path: String) throws {
        if (architecture, layers, heads) == (reference.architecture, reference.layers, reference.heads),
           ids.count == reference.ids.count, ids.indices.allSatisfy({ sameToken($0, reference) }) { return }
        let firstName = (first as NSString).lastPathComponent
        let what: String
        if (architecture, layers, heads) != (reference.architecture, reference.layers, reference.heads) {
            what = "it explains a \(Self.model(architecture, layers, heads)) model, \(firstName) a \(Self.model(reference.architecture, reference.layers, reference.heads))"
        } else if texts.count != reference.texts.count {
            what = "it has \(texts.count) token(s), \(firstName) has \(reference.texts.count)"
        } else {
            let i = ids.indices.first { !sameToken($0, reference) } ?? 0
            what = "its token \(i) is \(Self.token(ids[i], texts[i])), in \(firstName) \(Self.token(reference.ids[i], reference.texts[i]))"
        }
        throw FileProblem(path: path, reason: "not an explanation of the same input (\(what)); --with takes explain results of one input")
    }

    private static func model(_ architecture: String, _ layers: Int, _ heads: Int) -> String {
        "\(architecture) \(layers)-layer, \(heads)-head"
    }

    private static func token(_ id: Int?, _ text: String) -> String {
        (id.map { "id \($0) " } ?? "") + "'\(TokenText.label(text))'"
    }
}
