import Foundation

extension FastTokenizerOverrides {
    /// A special-token attribute as `transformers` holds it: a string, or an `AddedToken` object
    /// (with whether its `normalized` was given; else it follows the final `special` flag).
    enum SpecialValue {
        case text(String)
        case token(AddedToken, normalizedGiven: Bool)

        var content: String {
            switch self {
            case .text(let s): s
            case .token(let t, _): t.content
            }
        }
    }

    /// An entry of `tokenizer.json`'s `added_tokens`: its `id` if given, the token, and whether it
    /// gives `normalized` (else that follows the final `special` flag).
    typealias BackendAddedToken = (id: Int?, token: AddedToken, normalizedGiven: Bool)

    /// A `tokenizer.json`'s `added_tokens` (`document`, read from `file`; none when absent), in its
    /// order: each entry's `id` if it has one, the token, and whether it gives `normalized`.
    static func backendAddedTokens(document: JSONValue, file: String) throws -> [BackendAddedToken] {
        let root = ConfigReader(document, file: file, path: "")
        guard root.member("added_tokens") != nil else { return [] }
        return try root.array("added_tokens").map { entry in
            (entry.member("id") == nil ? nil : try entry.int("id"), try Tokenizer.addedToken(entry),
             entry.member("normalized") != nil)
        }
    }

    /// The tokens `PreTrainedTokenizerFast.__init__` (`transformers` 4.53.3) adds, in one
    /// `add_tokens` call, over the `added_tokens` of a `tokenizer.json` (`backend`, see
    /// ``backendAddedTokens(document:file:)``), in its order:
    /// 1. every entry of the added-tokens decoder it was given, by id (`tokenizer_config.json`'s
    ///    `added_tokens_decoder`; without one, its legacy path: `added_tokens.json`'s tokens, then
    ///    `tokenizer.json`'s own, the latter winning an id both have). Its check against the tokens
    ///    already there compares token ids with tokens and never matches, so all are given again;
    ///    the backend skips the identical ones.
    /// 2. the special tokens (`bos_token`, `eos_token`, `unk_token`, `sep_token`, `pad_token`,
    ///    `cls_token`, `mask_token`, then `additional_special_tokens`; the first of each content)
    ///    that are `AddedToken` objects not among step 1's tokens, or strings whose content is
    ///    neither an added token of `tokenizer.json` nor of step 1. A configured string or object
    ///    whose content step 1's decoder has becomes that decoder token (not for the additional
    ///    ones); an attribute no file names takes the class's default (``Family/defaultSpecialTokens``);
    ///    Qwen2's class wraps its `bos` / `eos` / `unk` / `pad` strings and RoBERTa's, XLM-R's and
    ///    CamemBERT's their mask string in `AddedToken` objects (the mask with `lstrip`); CamemBERT's
    ///    `additional_special_tokens` default to its `…NOTUSED` pieces.
    /// Each becomes special if it is or its content is one of the special tokens; a string becomes
    /// `AddedToken(content, special: true)` (not normalized). A token whose content is new gets the
    /// next id (``AddedVocabulary``); one already in the vocabulary keeps its id and is now matched
    /// as an added token; one already added with other flags takes the new flags.
    static func tokensToAdd(backend: [BackendAddedToken], config: TokenizerConfig, family: Family?) -> [AddedToken] {
        let decoder = legacyDecoder(config: config, backend: backend)
        var byContent: [String: (AddedToken, Bool)] = [:]
        if config.hasAddedTokensDecoder {
            for entry in decoder { byContent[entry.token.content] = (entry.token, entry.normalizedGiven) }
        } else {
            for entry in backend { byContent[entry.token.content] = (entry.token, entry.normalizedGiven) }
        }
        let specials = specialValues(config: config, family: family, decoderTokens: byContent)
        let allSpecial = Set(specials.map { Array($0.content.utf8) })
        let encoder = Set((backend.map(\.token) + decoder.map(\.token)).map { Array($0.content.utf8) })
        var out: [(AddedToken, Bool)] = decoder.map { ($0.token, $0.normalizedGiven) }
        // Step 1's tokens as a set (every field equal, content byte for byte), not a scan per special token.
        let decoded = Set(decoder.map { AddedTokenKey($0.token) })
        for value in specials {
            switch value {
            case .text(let s) where !encoder.contains(Array(s.utf8)):
                out.append((AddedToken(content: s, special: true), true))
            case .token(let t, let given) where !decoded.contains(AddedTokenKey(t)):
                out.append((t, given))
            default: break
            }
        }
        return out.map { token, normalizedGiven in
            var t = token
            t.special = t.special || allSpecial.contains(Array(t.content.utf8))
            if !normalizedGiven { t.normalized = !t.special }
            return t
        }
    }

    /// The added-tokens decoder `transformers` builds the class with, by id:
    /// `tokenizer_config.json`'s `added_tokens_decoder`, or without one `added_tokens.json`'s
    /// tokens (special when a file names them as special tokens, normalized otherwise) overlaid
    /// with `tokenizer.json`'s `added_tokens` (`backend`).
    private static func legacyDecoder(config: TokenizerConfig,
                                      backend: [BackendAddedToken])
        -> [(id: Int, token: AddedToken, normalizedGiven: Bool)] {
        if config.hasAddedTokensDecoder { return config.addedTokensDecoder }
        var configured = Set<[UInt8]>()
        for key in TokenizerConfig.specialKeys { if let t = config.tokenContent(key) { configured.insert(Array(t.utf8)) } }
        if case .array(let extra)? = config.value("additional_special_tokens") {
            for item in extra { if let t = config.specialToken(item) { configured.insert(Array(t.content.utf8)) } }
        }
        var byID: [Int: (AddedToken, Bool)] = [:]
        for (content, id) in config.addedTokensFile {
            let special = configured.contains(Array(content.utf8))
            byID[id] = (AddedToken(content: content, normalized: !special, special: special), true)
        }
        for entry in backend { if let id = entry.id { byID[id] = (entry.token, entry.normalizedGiven) } }
        return byID.sorted { $0.key < $1.key }.map { ($0.key, $0.value.0, $0.value.1) }
    }

    /// `all_special_tokens_extended`: the special-token attributes in order, then
    /// `additional_special_tokens`, the first of each content; see ``tokensToAdd(backend:config:family:)``.
    private static func specialValues(config: TokenizerConfig, family: Family?,
                                      decoderTokens: [String: (AddedToken, Bool)]) -> [SpecialValue] {
        var out: [SpecialValue] = []
        var seen = Set<[UInt8]>()
        func add(_ value: SpecialValue) {
            if value.content.isEmpty || !seen.insert(Array(value.content.utf8)).inserted { return }
            out.append(value)
        }
        for key in TokenizerConfig.specialKeys {
            let value: SpecialValue
            switch config.value(key) {
            case nil:
                guard let fallback = family?.defaultSpecialTokens[key] else { continue }
                value = family?.wrapped(fallback, key: key) ?? .text(fallback)
            case .null?:
                continue
            case let raw?:
                guard let token = config.specialToken(raw) else { continue }
                if let (decoded, given) = decoderTokens[token.content] {
                    value = .token(decoded, normalizedGiven: given)
                } else if case .string = raw {
                    value = family?.wrapped(token.content, key: key) ?? .text(token.content)
                } else {
                    value = .token(token, normalizedGiven: true)
                }
            }
            add(value)
        }
        if case .array(let extra)? = config.value("additional_special_tokens") {
            for item in extra {
                if case .string(let s) = item { add(.text(s)) } else if let t = config.specialToken(item) {
                    add(.token(t, normalizedGiven: true))
                }
            }
        } else if config.value("additional_special_tokens") == nil {
            for s in family?.defaultAdditionalSpecialTokens ?? [] { add(.text(s)) }
        }
        return out
    }
}

extension FastTokenizerOverrides.Family {
    /// The `AddedToken` the class's `__init__` makes of the string `content` given for `key`, `nil`
    /// when it keeps strings: Qwen2's `bos` / `eos` / `unk` / `pad` (special, not normalized) and
    /// the `mask_token` of RoBERTa (`lstrip`, not normalized), XLM-R and CamemBERT (`lstrip`).
    func wrapped(_ content: String, key: String) -> FastTokenizerOverrides.SpecialValue? {
        switch (self, key) {
        case (.qwen2, "bos_token"), (.qwen2, "eos_token"), (.qwen2, "unk_token"), (.qwen2, "pad_token"):
            .token(AddedToken(content: content, normalized: false, special: true), normalizedGiven: true)
        case (.roberta, "mask_token"):
            .token(AddedToken(content: content, lstrip: true, normalized: false, special: false), normalizedGiven: true)
        // XLMRobertaTokenizerFast: AddedToken(mask, lstrip=True, rstrip=False), its `normalized`
        // unset (it follows the final special flag); CamembertTokenizerFast: also special=True.
        case (.xlmRoberta, "mask_token"):
            .token(AddedToken(content: content, lstrip: true, special: false), normalizedGiven: false)
        case (.camembert, "mask_token"):
            .token(AddedToken(content: content, lstrip: true, special: true), normalizedGiven: false)
        default: nil
        }
    }
}
