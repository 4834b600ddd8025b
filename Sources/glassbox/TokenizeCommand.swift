import ArgumentParser
import Foundation
import Glassbox

/// `glassbox tokenize`: a prompt's tokens with ids, token strings and byte offsets, as the
/// model's own tokenizer gives them (the weights are not loaded). With `--ids`, the pieces of
/// those ids and the text they decode to.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize a prompt with the model's tokenizer: ids, token strings, byte offsets.",
        discussion: """
            Offsets are UTF-8 byte offsets into the prompt; tokens the tokenizer adds around it \
            ([CLS], <s>, …) have start = end. Ids are those the Hugging Face `tokenizers` library gives.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var input: InputOptions

    @Flag(inversion: .prefixedNo, help: "Add the special tokens the checkpoint's post-processor adds (default: on for prompts, off with --chat, whose template writes them).")
    var specialTokens: Bool?

    @Flag(name: .long, help: "Print one JSON object on stdout.")
    var json = false

    func validate() throws {
        if input.image != nil { throw ValidationError("tokenize reads text: give a prompt or --ids, not --image") }
        if let specialTokens, !input.givesPrompt {
            throw ValidationError("--\(specialTokens ? "" : "no-")special-tokens applies to a prompt; --ids are shown as given")
        }
    }

    func run() throws {
        let directory = try modelOptions.resolve()
        let tokenizer = try Tokenizer.load(directory: directory.url)
        try input.checkChatHasPrompt()
        let rows: [Row]
        var prompt = try input.promptText()
        var chat: ChatPrompt? = nil
        if let typed = prompt {
            guard !typed.isEmpty else { throw CLIError.emptyInput }
            chat = try input.chatPrompt(typed, directory: directory.url, tokenizer: { tokenizer })
            prompt = chat?.rendered ?? typed
        }
        if let prompt {
            let encoding = try tokenizer.encode(prompt, addSpecialTokens: specialTokens ?? (chat == nil))
            let bytes = Array(prompt.utf8)
            rows = encoding.ids.indices.map { i in
                let span = encoding.offsets[i]
                let covered = span.isEmpty || span.end > bytes.count ? encoding.tokens[i]
                    : String(decoding: bytes[span.start..<span.end], as: UTF8.self)
                return Row(id: encoding.ids[i], piece: encoding.tokens[i], text: covered, span: span,
                           special: encoding.specialTokensMask[i], word: encoding.wordIDs[i])
            }
        } else {
            let ids = try InputOptions.parseIDs(input.ids ?? "")
            let vocabulary = TokenVocabulary(tokenizer: tokenizer)
            rows = ids.map { id in
                Row(id: id, piece: tokenizer.token(for: id) ?? "<\(id)>", text: vocabulary.displayText(id), span: nil,
                    special: tokenizer.token(for: id).map(tokenizer.isSpecial) ?? false, word: nil)
            }
        }
        let ids = rows.map(\.id)
        let decoded = tokenizer.decode(ids)
        if json {
            let model: [String: Any] = ["name": modelOptions.model ?? "", "path": directory.url.path,
                                        "tokenizer": tokenizer.source, "tokenizerModel": tokenizer.modelType]
            var object: [String: Any] = [
                "glassbox": GlassboxVersion.string, "command": "tokenize", "model": model, "decoded": decoded,
            ]
            if let chat { object.merge(chat.json) { _, new in new } }
            try StreamedJSON.write(object, streaming: "tokens", count: rows.count) { i, out in rows[i].appendJSON(to: &out) }
            return
        }
        print("model  \(directory.url.path) (\(tokenizer.source), \(tokenizer.modelType))")
        if let chat { print("chat   template rendering (offsets point into it): \(chat.rendered.debugDescription)") }
        print("\(rows.count) tokens; decoded: \(decoded.debugDescription)")
        print("index  id        bytes        token                text")
        for (i, row) in rows.enumerated() {
            let bytes = row.span.map { "\($0.start)..<\($0.end)" } ?? "-"
            print(String(format: "%5d  %-8d  ", i, row.id) + bytes.padding(toLength: 11, withPad: " ", startingAt: 0)
                  + "  " + row.piece.debugDescription.padding(toLength: 19, withPad: " ", startingAt: 0)
                  + "  " + row.text.debugDescription + (row.special ? "  (special)" : ""))
        }
    }

    /// One token as shown.
    struct Row {
        let id: Int
        /// The token string (`Ġthe`, `##ing`, `▁of`, `[CLS]`).
        let piece: String
        /// The prompt's text it covers (the token string for tokens the post-processor added), or
        /// its display text for `--ids`.
        let text: String
        let span: TokenSpan?
        let special: Bool
        let word: Int?

        /// Appends the row as a JSON object with sorted keys: `end`, `id`, `special`, `start`,
        /// `text`, `token`, `word` (`null` spans and words for `--ids` and added tokens).
        func appendJSON(to out: inout [UInt8]) {
            out.append(contentsOf: Array("{\"end\":".utf8))
            StreamedJSON.appendInt(span?.end, to: &out)
            out.append(contentsOf: Array(",\"id\":".utf8))
            StreamedJSON.appendInt(id, to: &out)
            out.append(contentsOf: Array((special ? ",\"special\":true,\"start\":" : ",\"special\":false,\"start\":").utf8))
            StreamedJSON.appendInt(span?.start, to: &out)
            out.append(contentsOf: Array(",\"text\":".utf8))
            StreamedJSON.appendString(text, to: &out)
            out.append(contentsOf: Array(",\"token\":".utf8))
            StreamedJSON.appendString(piece, to: &out)
            out.append(contentsOf: Array(",\"word\":".utf8))
            StreamedJSON.appendInt(word, to: &out)
            out.append(UInt8(ascii: "}"))
        }
    }
}
