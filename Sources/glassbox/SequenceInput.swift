import Foundation
import Glassbox

/// The token sequence `explain --generate` / `--continuation` explains: the prompt's tokens and
/// the targets after them, with each token's text and byte span in the whole text.
struct SequenceInput {
    /// `[n]` all ids: the prompt, then the targets.
    let ids: [Int]
    /// How many of them are the prompt.
    let promptLength: Int
    /// `[n]` display text per token.
    let texts: [String]
    /// The whole text (prompt + continuation) and its encoding, for word and sentence groups;
    /// nil for `--ids` input.
    let text: String?
    let encoding: Encoding?
    /// How the prompt/continuation boundary was tokenized (provenance, `--continuation` only).
    let boundary: String?
    /// A note for stderr when a token spans the boundary.
    let boundaryNote: String?
    /// With `--chat`: the template's rendering the prompt went through (recorded as `chat`).
    var chat: ChatPrompt? = nil

    /// What the rows and columns are.
    enum Unit: String { case token, word, sentence }

    /// The sequence of `command`: greedy generation with the KV cache (`--generate N`, stopping at
    /// the checkpoint's end-of-sequence ids), or the prompt and continuation tokenized together
    /// (`--continuation`).
    ///
    /// The continuation is tokenized with the prompt as one text, so the model sees the tokens a
    /// tokenizer gives the whole text (merges across the boundary included, as `generate` would
    /// have produced them); the targets are the tokens from the first one that reaches past the
    /// prompt's last byte. A token that spans the boundary (starts inside the prompt) is a target,
    /// and a note says so.
    static func prepare(_ command: ExplainCommand, _ loaded: LoadedModel) throws -> SequenceInput {
        let prepared = try PreparedInput.prepare(loaded, input: command.input)
        if let count = command.generate {
            // The explanation reads the prompt and every generated token in one pass: together at
            // most the context window (checked here, before generating, not after).
            let context = loaded.model.architecture.contextLength
            let room = context - prepared.ids.count
            guard room >= 1 else { throw CLIError.noRoomToGenerate(promptTokens: prepared.ids.count, context: context) }
            if count > room {
                Console.note("note: --generate \(count) stops after \(room) new token\(room == 1 ? "" : "s"): the prompt has \(prepared.ids.count) of the model's \(context) positions")
            }
            let options = GenerationOptions(maxTokens: min(count, room), stopIDs: try GenerateCommand.endOfSequenceIDs(loaded.directory.url))
            let generated = try Generation.run(model: loaded.model, prompt: prepared.ids, options: options).tokens.map(\.id)
            let tokenizer = try? loaded.tokenizer.get()
            // Each generated token's text as it stands after the prompt and the tokens before it
            // (decoded with them, special tokens skipped, minus their decoded length:
            // `ContinuationText.pieces`, the rule of `generate` without its clean-up, so each token
            // keeps its characters). A "▁word" token keeps its space; decoded alone, a
            // SentencePiece-style decoder strips it and the token would join the word before it.
            // A special token (empty by that rule: an end-of-sequence token) is shown as itself.
            let pieces = tokenizer.map { t in
                let rule = ContinuationText(prompt: prepared.ids, decode: { t.decode($0, skipSpecialTokens: true) })
                return zip(generated, rule.pieces(generated)).map { id, piece in
                    piece.isEmpty ? t.decode([id], skipSpecialTokens: false) : piece
                }
            } ?? generated.map(loaded.text)
            var encoding: Encoding?, text: String?
            if let prompt = prepared.prompt, var joined = prepared.encoding {
                // The generated pieces appended to the prompt text, each covering its own bytes.
                var offset = prompt.utf8.count
                for (id, piece) in zip(generated, pieces) {
                    let length = piece.utf8.count
                    joined.ids.append(id)
                    joined.tokens.append(piece)
                    joined.offsets.append(TokenSpan(start: offset, end: offset + length))
                    joined.wordIDs.append(nil)
                    joined.typeIDs.append(0)
                    joined.specialTokensMask.append(false)
                    joined.sequenceIDs.append(0)
                    offset += length
                }
                (encoding, text) = (joined, prompt + pieces.joined())
            }
            return SequenceInput(ids: prepared.ids + generated, promptLength: prepared.ids.count, texts: prepared.texts + pieces,
                                 text: text, encoding: encoding, boundary: nil, boundaryNote: nil, chat: prepared.chat)
        }
        guard let prompt = prepared.prompt, let continuation = command.continuation else { throw SequenceUsage.continuationNeedsPrompt }
        let whole = prompt + continuation
        // With --chat the rendering already holds the template's special tokens.
        let encoding = try loaded.context.encode(whole, addSpecialTokens: prepared.chat == nil)
        let promptBytes = prompt.utf8.count
        guard let first = encoding.offsets.firstIndex(where: { !$0.isEmpty && $0.end > promptBytes }) else {
            throw SequenceProblem.noContinuationTokens(continuation)
        }
        guard first >= 1 else { throw SequenceProblem.noPromptTokens }
        let bytes = Array(whole.utf8)
        let texts = zip(encoding.tokens, encoding.offsets).map { piece, span in
            span.isEmpty || span.end > bytes.count ? piece : String(decoding: bytes[span.start..<span.end], as: UTF8.self)
        }
        let straddles = encoding.offsets[first].start < promptBytes
        let note = straddles ? "note: token \(texts[first].debugDescription) spans the end of the prompt and the continuation; it is explained as the first target" : nil
        let boundary = "prompt and continuation tokenized as one text; targets from token \(first) (the first reaching past the prompt)"
            + (straddles ? ", which starts inside the prompt" : "")
        return SequenceInput(ids: encoding.ids, promptLength: first, texts: texts, text: whole, encoding: encoding,
                             boundary: boundary, boundaryNote: note, chat: prepared.chat)
    }

    /// The record of `result` per token, or summed per word or sentence on both axes, with the
    /// chat rendering when the prompt went through the template.
    func record(_ result: SequenceAttribution, loaded: LoadedModel, unit: Unit) throws -> SequenceExplanationRecord {
        var record = try scores(result, loaded: loaded, unit: unit)
        if let chat { (record.chat, record.chatPrompt) = (true, chat.rendered) }
        return record
    }

    /// The record of `result` per token, or summed per word or sentence on both axes.
    private func scores(_ result: SequenceAttribution, loaded: LoadedModel, unit: Unit) throws -> SequenceExplanationRecord {
        let spans = encoding?.offsets
        guard unit != .token else {
            let tokens = ids.indices.map { i in
                SequenceExplanationRecord.Token(id: ids[i], text: texts[i], start: spans?[i].start, end: spans?[i].end,
                                                generated: i >= promptLength)
            }
            let generated = result.steps.map { step in
                SequenceExplanationRecord.Generated(id: step.id, text: texts[step.position], position: step.position,
                                                    prob: Double(step.prob), entropy: Double(step.entropy),
                                                    contrast: step.contrastDifference.map(Double.init))
            }
            return SequenceExplanationRecord(model: loaded.summary, method: result.method, parameters: result.parameters, unit: unit.rawValue,
                                             generated: generated, tokens: tokens,
                                             matrix: result.matrix.map { $0.map { $0.map(Double.init) } })
        }
        let option = unit == .word ? "--words" : "--sentences"
        let groups = try promptGroups(encoding, text: text, sentences: unit == .sentence, option: option,
                                      missingPrompt: SequenceUsage.groupsNeedPrompt(option))
        // Target rows: the groups holding generated tokens, each with the steps of those tokens.
        let rowGroups = groups.enumerated().compactMap { g, group -> (Int, [Int])? in
            let steps = group.tokenIndices.filter { $0 >= promptLength }.map { $0 - promptLength }
            return steps.isEmpty ? nil : (g, steps)
        }
        let grouped = result.grouped(sources: groups.map(\.tokenIndices), targets: rowGroups.map(\.1))
        let tokens = groups.map { group in
            SequenceExplanationRecord.Token(id: nil, text: group.text, start: group.span.start, end: group.span.end,
                                            generated: group.tokenIndices.contains { $0 >= promptLength })
        }
        let generated = rowGroups.enumerated().map { r, row in
            SequenceExplanationRecord.Generated(id: nil, text: groups[row.0].text, position: row.0,
                                                prob: grouped.prob[r], entropy: grouped.entropy[r])
        }
        return SequenceExplanationRecord(model: loaded.summary, method: result.method, parameters: result.parameters, unit: unit.rawValue,
                                         generated: generated, tokens: tokens, matrix: grouped.matrix)
    }
}
