import Foundation
import GlassboxFiles

/// The `tokenizer_config.json` settings that `transformers` (4.53) fast tokenizer classes apply
/// over a `tokenizer.json`, keyed on the class `AutoTokenizer` picks (``tokenizerClass(tokenizerConfig:directory:)``:
/// `tokenizer_config.json`'s `tokenizer_class`, else `config.json`'s, else its `model_type`'s;
/// `X` and `XFast` both give `XFast`). Only the classes of ``Family`` are handled; any other
/// class leaves `tokenizer.json` as it is. A setting or special token no file names takes the
/// class's default, also when there is no `tokenizer_config.json` (as `transformers` builds the
/// class with its `__init__` defaults).
/// - `LlamaTokenizerFast`, `GemmaTokenizerFast`, `GPTNeoXTokenizerFast`: the post-processor
///   becomes a `TemplateProcessing` `[bos] $A [eos]` / `[bos] $A [eos] [bos]:1 $B:1 [eos]:1` from
///   `add_bos_token` (default true, true, false) and `add_eos_token` (default false), with
///   `bos_token` / `eos_token` (`<s>` / `</s>`, `<bos>` / `<eos>`, `<|endoftext|>`).
/// - Every class but Llama's (`PreTrainedTokenizerFast`'s rule): a `ByteLevel` pre-tokenizer
///   takes `add_prefix_space` (default false); `PreTrainedTokenizerFast` itself (Falcon's class)
///   applies this rule alone.
/// - `RobertaTokenizerFast`: a `RobertaProcessing` or `ByteLevel` post-processor takes
///   `add_prefix_space` (false) and `trim_offsets` (true).
/// - `BertTokenizerFast`, `DistilBertTokenizerFast`, `ElectraTokenizerFast`: a `BertNormalizer` whose `lowercase` /
///   `strip_accents` / `handle_chinese_chars` differ from `do_lower_case` (true) /
///   `strip_accents` (null) / `tokenize_chinese_chars` (true) takes all three.
/// - `Qwen2TokenizerFast`: nothing of its own.
/// - `CohereTokenizerFast`: Llama's template rule (`add_bos_token` default true, `<BOS_TOKEN>` /
///   `<|END_OF_TURN_TOKEN|>`), and with `add_prefix_space` BLOOM's replace in the pre-tokenizer and decoder.
/// - `XLMRobertaTokenizerFast`, `CamembertTokenizerFast`: nothing of their own over the
///   `tokenizer.json` (the converter wrote the `<s> $A </s>` template); only their special-token
///   defaults (RoBERTa's, `<mask>` with `lstrip`; CamemBERT's `additional_special_tokens`).
/// - `T5TokenizerFast`: its `extra_ids` (default 100) `<extra_id_N>` tokens join
///   `additional_special_tokens` (``applyT5ExtraIDs(_:file:)``).
/// For every class `AutoTokenizer` picks (handled or not), the configured special tokens, and for
/// the handled classes their defaults, are added as `transformers` adds them
/// (``tokensToAdd(backend:config:family:)``): one missing from the vocabulary gets a new id,
/// which the rebuilt template uses.
/// A setting that is not a boolean (`strip_accents`: or null) is a `malformedFile` error naming
/// the file and key; so is a template token set to null, and a Llama `add_prefix_space`
/// (`transformers` then rebuilds the tokenizer from `tokenizer.model`).
enum FastTokenizerOverrides {
    /// The tokenizer classes whose settings are applied.
    enum Family: String, CaseIterable {
        case llama = "LlamaTokenizer", gemma = "GemmaTokenizer", gptNeoX = "GPTNeoXTokenizer", qwen2 = "Qwen2Tokenizer"
        case gpt2 = "GPT2Tokenizer", roberta = "RobertaTokenizer", bert = "BertTokenizer"
        /// Phi-1 / 1.5 / 2's class: GPT-2's byte-level BPE with GPT-2's defaults (its fast class
        /// differs only in `decode`'s `truncate_before_pattern`, which Glassbox does not offer).
        case codeGen = "CodeGenTokenizer"
        case distilBert = "DistilBertTokenizer"
        /// ELECTRA's class: a copy of BERT's WordPiece tokenizer with BERT's settings and defaults.
        case electra = "ElectraTokenizer"
        case t5 = "T5Tokenizer"
        case xlmRoberta = "XLMRobertaTokenizer", camembert = "CamembertTokenizer"
        /// BLOOM's class: byte-level BPE; over the base rule, an `add_prefix_space` of true also
        /// turns on every `"add_prefix_space":false` inside the pre-tokenizer (its Sequence's ByteLevel).
        case bloom = "BloomTokenizer"
        /// Command-R / Aya's class (`CohereTokenizerFast`): byte-level BPE; Llama's
        /// `update_post_processor` (`add_bos_token` default true) with `<BOS_TOKEN>` /
        /// `<|END_OF_TURN_TOKEN|>`, and BLOOM's `add_prefix_space` replace applied to the decoder too.
        case cohere = "CohereTokenizer"

        /// For the classes whose `update_post_processor` rebuilds the post-processor: the
        /// default of `add_bos_token` (`add_eos_token`'s is false; the tokens' are
        /// ``defaultSpecialTokens``).
        var addBOSDefault: Bool? {
            switch self {
            case .llama, .gemma, .cohere: true
            case .gptNeoX: false
            case .qwen2, .gpt2, .codeGen, .roberta, .bert, .distilBert, .electra, .t5, .xlmRoberta, .camembert, .bloom: nil
            }
        }
    }

    /// The family of a `tokenizer_class` value (`LlamaTokenizer` or `LlamaTokenizerFast`, …).
    static func family(tokenizerClass: String) -> Family? {
        let base = tokenizerClass.hasSuffix("Fast") ? String(tokenizerClass.dropLast(4)) : tokenizerClass
        return Family(rawValue: base)
    }

    /// Loads `tokenizerJSON` with the settings of `directory`'s `tokenizer_config.json` (and
    /// `special_tokens_map.json`) applied, or the class defaults where they name none.
    static func load(tokenizerJSON: URL, directory: URL) throws -> Tokenizer {
        let file = tokenizerJSON.path
        let document = try JSONValue.parse(try InputFile.readJSON(tokenizerJSON, limit: InputLimits.tokenizerFileBytes),
                                           file: file)
        let parsed = try tokenizerConfig(directory)
        return try load(document: document, file: file, directory: directory, tokenizerConfig: parsed,
                        className: tokenizerClass(tokenizerConfig: parsed ?? .object([]), directory: directory))
    }

    /// ``load(tokenizerJSON:directory:)`` on a parsed `tokenizer.json` document (read from, or built
    /// from, `file`), given `directory`'s parsed `tokenizer_config.json` (nil: none) and the class
    /// `tokenizerClass(tokenizerConfig:directory:)` found for it.
    static func load(document: JSONValue, file: String, directory: URL, tokenizerConfig parsed: JSONValue?,
                     className: String?) throws -> Tokenizer {
        let hasConfig = parsed != nil
        guard let name = className else { return try Tokenizer(document: document, file: file) }
        var config = try TokenizerConfig(directory: directory, tokenizerConfig: parsed)
        let family = family(tokenizerClass: name)
        if family == .t5 { _ = try applyT5ExtraIDs(&config, file: settingsFile(directory: directory, hasConfig: hasConfig)) }
        let backend = try backendAddedTokens(document: document, file: file)
        let added = tokensToAdd(backend: backend, config: config, family: family)
        let settings = Settings(config: config, file: settingsFile(directory: directory, hasConfig: hasConfig))
        guard let family else {
            var document = document
            // The base class itself (Falcon's, inferred from its model_type) applies only its own rule.
            if name == "PreTrainedTokenizerFast" { try applyPrefixSpace(&document, settings: settings) }
            return try Tokenizer(document: document, file: file, addedTokens: backend.map(\.token), laterAddedTokens: added)
        }
        var patched = document
        try patch(&patched, family: family, settings: settings)
        var tokenizer = try Tokenizer(document: patched, file: file, addedTokens: backend.map(\.token), laterAddedTokens: added)
        if let addBOS = family.addBOSDefault {
            tokenizer.postProcessor = try template(tokenizer, settings: settings, addBOSDefault: addBOS,
                                                   defaultTokens: family.defaultSpecialTokens)
        }
        return tokenizer
    }

    /// The file errors about settings name: `tokenizer_config.json`, or `special_tokens_map.json`
    /// when there is no `tokenizer_config.json`.
    static func settingsFile(directory: URL, hasConfig: Bool) -> String {
        directory.appendingPathComponent(hasConfig ? "tokenizer_config.json" : "special_tokens_map.json").path
    }

    /// Typed reads of `tokenizer_config.json` settings (merged with `special_tokens_map.json`);
    /// errors name the file and key.
    struct Settings {
        let config: TokenizerConfig
        /// `tokenizer_config.json`, or `special_tokens_map.json` when there is no `tokenizer_config.json`.
        let file: String

        /// The boolean `key`, `fallback` when absent.
        func bool(_ key: String, default fallback: Bool) throws -> Bool {
            guard let value = config.value(key) else { return fallback }
            guard case .bool(let b) = value else { throw fail("'\(key)' must be true or false, found \(value.kindName)") }
            return b
        }

        func fail(_ detail: String) -> TokenizerError { .malformedFile(file: file, detail: detail) }
    }

    /// `PreTrainedTokenizerFast.__init__`'s rule, which every class but Llama's inherits: a
    /// `ByteLevel` pre-tokenizer takes `add_prefix_space` (default false). Returns that setting.
    @discardableResult
    static func applyPrefixSpace(_ document: inout JSONValue, settings: Settings) throws -> Bool {
        let addPrefixSpace = try settings.bool("add_prefix_space", default: false)
        document.update("pre_tokenizer") { pre in
            guard pre["type"].isString("ByteLevel"), pre["add_prefix_space"] != nil else { return }
            pre.set("add_prefix_space", .bool(addPrefixSpace))
        }
        return addPrefixSpace
    }

    /// Applies the normalizer, pre-tokenizer and RoBERTa post-processor settings to the
    /// `tokenizer.json` document.
    static func patch(_ document: inout JSONValue, family: Family, settings: Settings) throws {
        if family == .llama {
            if let v = settings.config.value("add_prefix_space"), !v.isNull {
                throw settings.fail("'add_prefix_space' is set for a Llama tokenizer, which transformers then rebuilds "
                                    + "from tokenizer.model; not supported")
            }
            return
        }
        let addPrefixSpace = try applyPrefixSpace(&document, settings: settings)
        if (family == .bloom || family == .cohere) && addPrefixSpace {
            // BloomTokenizerFast.__init__ / CohereTokenizerFast.__init__: the pickled pre-tokenizer state
            // with every `"add_prefix_space":false` replaced by true, nested ones (a Sequence's
            // ByteLevel) included; Cohere's replaces the decoder's too.
            document.update("pre_tokenizer") { Self.enablePrefixSpace(&$0) }
            if family == .cohere { document.update("decoder") { Self.enablePrefixSpace(&$0) } }
        }
        if family == .roberta {
            let trimOffsets = try settings.bool("trim_offsets", default: true)
            document.update("post_processor") { post in
                guard post["type"].isString("RobertaProcessing") || post["type"].isString("ByteLevel") else { return }
                if post["add_prefix_space"] != nil { post.set("add_prefix_space", .bool(addPrefixSpace)) }
                if post["trim_offsets"] != nil { post.set("trim_offsets", .bool(trimOffsets)) }
            }
        }
        if family == .bert || family == .distilBert || family == .electra {
            let lowercase = try settings.bool("do_lower_case", default: true)
            let chinese = try settings.bool("tokenize_chinese_chars", default: true)
            let strip: JSONValue
            switch settings.config.value("strip_accents") {
            case nil, .null?: strip = .null
            case .bool(let b)?: strip = .bool(b)
            case let other?: throw settings.fail("'strip_accents' must be true, false or null, found \(other.kindName)")
            }
            document.update("normalizer") { norm in
                guard norm["type"].isString("BertNormalizer") else { return }
                let current = (norm["lowercase"] ?? .bool(true), norm["strip_accents"] ?? .null,
                               norm["handle_chinese_chars"] ?? .bool(true))
                guard !(current.0.sameScalar(.bool(lowercase)) && current.1.sameScalar(strip)
                        && current.2.sameScalar(.bool(chinese))) else { return }
                norm.set("lowercase", .bool(lowercase))
                norm.set("strip_accents", strip)
                norm.set("handle_chinese_chars", .bool(chinese))
            }
        }
    }

    /// Every `add_prefix_space: false` in `value` and the objects and lists inside it set to true.
    static func enablePrefixSpace(_ value: inout JSONValue) {
        switch value {
        case .object(var entries):
            for i in entries.indices {
                if entries[i].key == "add_prefix_space", case .bool(false) = entries[i].value {
                    entries[i].value = .bool(true)
                } else {
                    enablePrefixSpace(&entries[i].value)
                }
            }
            value = .object(entries)
        case .array(var items):
            for i in items.indices { enablePrefixSpace(&items[i]) }
            value = .array(items)
        default: break
        }
    }

    /// `update_post_processor` of the Llama, Gemma and GPT-NeoX fast classes: the template from
    /// `add_bos_token` / `add_eos_token` (defaults `addBOSDefault` / false) and `bos_token` /
    /// `eos_token` (defaults from `defaultTokens`), the special tokens' ids looked up in
    /// `tokenizer` (which has the tokens ``tokensToAdd(backend:config:family:)`` adds).
    static func template(_ tokenizer: Tokenizer, settings: Settings, addBOSDefault: Bool,
                         defaultTokens: [String: String]) throws -> TemplateProcessing {
        let addBOS = try settings.bool("add_bos_token", default: addBOSDefault)
        let addEOS = try settings.bool("add_eos_token", default: false)
        var specials: [String: (ids: [Int], tokens: [String])] = [:]
        /// The token's content.
        func special(_ key: String) throws -> String {
            let content: String
            if settings.config.value(key) == nil, let fallback = defaultTokens[key] {
                content = fallback
            } else if let c = settings.config.tokenContent(key) {
                content = c
            } else {
                throw settings.fail("'add_\(key)' is true but '\(key)' is not a token")
            }
            guard let id = tokenizer.id(of: content) else {
                throw settings.fail("'\(key)' \(content.debugDescription) is not in the tokenizer's vocabulary")
            }
            specials[content] = ([id], [content])
            return content
        }
        var bos: String?, eos: String?
        if addBOS { bos = try special("bos_token") }
        if addEOS { eos = try special("eos_token") }
        func part(second: Bool) -> [TemplateProcessing.Piece] {
            let type = second ? 1 : 0
            return (bos.map { [.special(id: $0, typeID: type)] } ?? []) + [.sequence(second: second, typeID: type)]
                + (eos.map { [.special(id: $0, typeID: type)] } ?? [])
        }
        return TemplateProcessing(single: part(second: false), pair: part(second: false) + part(second: true),
                                  specialTokens: specials)
    }
}

private extension Optional where Wrapped == JSONValue {
    /// Whether this is the string `s`.
    func isString(_ s: String) -> Bool {
        if case .string(let v)? = self { return v == s }
        return false
    }
}

private extension JSONValue {
    /// Whether two scalars (null, booleans, strings, integers) are equal.
    func sameScalar(_ other: JSONValue) -> Bool {
        switch (self, other) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        default: false
        }
    }

    /// Sets the member `key` of an object (the last one if repeated; appended if absent).
    mutating func set(_ key: String, _ value: JSONValue) {
        guard case .object(var members) = self else { return }
        if let i = members.lastIndex(where: { $0.key == key }) { members[i].value = value } else { members.append((key, value)) }
        self = .object(members)
    }

    /// Edits the object member `key` in place, if present.
    mutating func update(_ key: String, _ edit: (inout JSONValue) -> Void) {
        guard case .object(var members) = self, let i = members.lastIndex(where: { $0.key == key }) else { return }
        edit(&members[i].value)
        self = .object(members)
    }
}
