import Foundation
import Glassbox

/// `--chat`: the prompt as the model's chat template presents it — one user message (after a
/// `--system` message, if given), rendered with the assistant's turn opened
/// (`add_generation_prompt=True`), as transformers' `apply_chat_template` builds it.
struct ChatPrompt {
    /// The `--system` text, if given.
    let system: String?
    /// The user's prompt as typed (or read from `--prompt-file`).
    let prompt: String
    /// The template's rendering: the text that is tokenized (without adding special tokens; the
    /// template writes them) and that token offsets point into.
    let rendered: String

    /// Renders `prompt` with the chat template of the checkpoint in `directory` (whose tokenizer,
    /// `tokenizer`, is already loaded); a checkpoint without one is ``CLIError/noChatTemplate(_:processorTemplate:)``.
    static func render(_ prompt: String, system: String?, directory: URL, tokenizer: Tokenizer) throws -> ChatPrompt {
        guard let template = try templates.template(directory, tokenizer: tokenizer) else {
            let processorTemplate = FileManager.default.fileExists(atPath: directory.appendingPathComponent("chat_template.json").path)
            throw CLIError.noChatTemplate(directory.path, processorTemplate: processorTemplate)
        }
        var messages: [ChatMessage] = []
        if let system { messages.append(ChatMessage(role: "system", content: system)) }
        messages.append(ChatMessage(role: "user", content: prompt))
        return ChatPrompt(system: system, prompt: prompt, rendered: try template.render(messages: messages, addGenerationPrompt: true))
    }

    /// The checkpoints' templates, read and parsed once per process (a batch renders every line).
    private static let templates = TemplateCache()

    /// The chat template (or its absence, or the error reading it) of each checkpoint directory,
    /// loaded on first use; safe to use from the batch's worker threads (rendering a parsed
    /// ``ChatTemplate`` does not change it).
    private final class TemplateCache: @unchecked Sendable {
        private let lock = NSLock()
        private var loaded: [String: Result<ChatTemplate?, Error>] = [:]

        /// `ChatTemplate.load(directory:tokenizer:)`, remembered by the directory's standardized path.
        func template(_ directory: URL, tokenizer: Tokenizer) throws -> ChatTemplate? {
            let key = directory.standardizedFileURL.path
            lock.lock()
            defer { lock.unlock() }
            if let known = loaded[key] { return try known.get() }
            let result = Result { try ChatTemplate.load(directory: directory, tokenizer: tokenizer) }
            loaded[key] = result
            return try result.get()
        }
    }

    /// The `"chat"` entries of JSON results: `true`, the rendered text the tokens' offsets point
    /// into (`chat_prompt`), the prompt as typed (`chat_user`) and the system message.
    var json: [String: Any] {
        ["chat": true, "chat_prompt": rendered, "chat_user": prompt, "system": system as Any? ?? NSNull()]
    }
}
