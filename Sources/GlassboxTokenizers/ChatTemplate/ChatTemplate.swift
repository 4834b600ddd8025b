import Foundation

/// One message of a conversation: its role (`system`, `user`, `assistant`, …) and text.
public struct ChatMessage: Sendable, Equatable {
    /// `system`, `user`, `assistant`, … as the template reads `message['role']`.
    public var role: String
    /// The message's text, `message['content']`.
    public var content: String

    /// A message of `role` saying `content`.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A checkpoint's chat template (a Jinja2 text from `tokenizer_config.json` or
/// `chat_template.jinja`), parsed once and rendered as transformers' `apply_chat_template` renders it:
/// jinja2's `ImmutableSandboxedEnvironment` with `trim_blocks` and `lstrip_blocks`, the
/// `generation` tag, `break`/`continue`, the globals `raise_exception` and `strftime_now`, and
/// `tojson` without HTML escaping. The variables are the special tokens (`bos_token`, …),
/// `messages`, `tools` and `documents` (None), and `add_generation_prompt`.
///
/// The supported subset of Jinja2 is what chat templates use (see docs); anything else is a
/// ``ChatTemplateError`` naming the construct and its line and column, never a crash. Work is
/// bounded by ``Limits``, so a hostile template ends in an error rather than a hang.
public final class ChatTemplate {
    /// Bounds on parsing and rendering.
    public struct Limits: Sendable {
        /// Largest rendered text (and any string built on the way), in UTF-8 bytes.
        public var outputBytes = 16 << 20
        /// Loop iterations allowed in one rendering, over all loops.
        public var loopIterations = 250_000
        /// Deepest macro call nesting.
        public var callDepth = 64
        /// Deepest nesting of blocks and expressions in the source.
        public var nesting = 256
        /// Largest template source, in UTF-8 bytes.
        public var sourceBytes = 4 << 20

        /// The default bounds above.
        public init() {}
    }

    /// The template text as given.
    public let source: String
    /// Where the text came from, for error messages (e.g. `…/tokenizer_config.json: chat_template`).
    public let origin: String
    /// The special tokens passed as variables (transformers' `special_tokens_map`).
    public let specialTokens: [(name: String, value: SpecialTokenValue)]
    let limits: Limits
    private let scalars: [Unicode.Scalar]
    private let nodes: [TemplateNode]

    /// A special-token variable: one token (`bos_token`) or a list (`additional_special_tokens`).
    public enum SpecialTokenValue: Sendable, Equatable {
        /// One token's text (`bos_token`, `eos_token`, …).
        case token(String)
        /// A list of token texts (`additional_special_tokens`).
        case tokens([String])
    }

    /// Parses `source`; `origin` names it in errors.
    public init(_ source: String, origin: String, specialTokens: [(name: String, value: SpecialTokenValue)] = [],
                limits: Limits = Limits()) throws {
        self.source = source
        self.origin = origin
        self.specialTokens = specialTokens
        self.limits = limits
        if source.utf8.count > limits.sourceBytes {
            throw ChatTemplateError(origin: origin, detail: "the template is longer than \(limits.sourceBytes) bytes")
        }
        scalars = TemplateLexer.normalize(source)
        do {
            var parser = TemplateParser(tokens: try TemplateLexer.tokenize(scalars), maxDepth: limits.nesting)
            nodes = try parser.parseTemplate()
        } catch let failure as TemplateFailure {
            throw Self.error(failure, origin: origin, scalars: scalars)
        }
    }

    /// The prompt for `messages`: the template rendered with the special tokens, `tools` and
    /// `documents` None, and `add_generation_prompt`. `now` is the clock `strftime_now` reads.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, now: Date = Date()) throws -> String {
        var context = TemplateDict()
        context["messages"] = .list(messages.map { .dict(TemplateDict([("role", .string($0.role)), ("content", .string($0.content))])) })
        context["tools"] = TemplateValue.none
        context["documents"] = TemplateValue.none
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        for (name, value) in specialTokens {
            switch value {
            case .token(let t): context[name] = .string(t)
            case .tokens(let ts): context[name] = .list(ts.map { .string($0) })
            }
        }
        return try render(context: context, now: now)
    }

    /// Renders with `context` as the template's variables.
    func render(context: TemplateDict, now: Date) throws -> String {
        let renderer = TemplateRenderer(limits: limits, now: now)
        let scope = TemplateScope(parent: nil)
        for (k, v) in context.items { scope.set(k, v) }
        var out = ""
        do {
            _ = try renderer.render(nodes, scope: scope, into: &out)
        } catch let failure as TemplateFailure {
            throw Self.error(failure, origin: origin, scalars: scalars)
        }
        return out
    }

    /// A failure placed by line and column (1-based, counted in scalars of the normalized source).
    static func error(_ failure: TemplateFailure, origin: String, scalars: [Unicode.Scalar]) -> ChatTemplateError {
        var line = 1, column = 1
        for s in scalars.prefix(failure.offset) {
            if s == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return ChatTemplateError(origin: origin, line: line, column: column, detail: failure.detail)
    }
}
