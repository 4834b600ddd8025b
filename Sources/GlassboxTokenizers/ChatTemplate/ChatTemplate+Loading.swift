import Foundation

/// Finding a checkpoint's chat template as transformers 4.53 does.
extension ChatTemplate {
    /// The chat template of the checkpoint in `directory`, `nil` if it has none: the
    /// `chat_template.jinja` file if present (it takes priority over the config; a file
    /// `additional_chat_templates/default.jinja` over it, and other files there without a default
    /// are an error, as transformers then has templates but no default), else
    /// `tokenizer_config.json`'s `chat_template` — a string, or a list of `{name, template}` of which
    /// the one named `default` is used (as `apply_chat_template` without tools picks it). The special
    /// tokens of `tokenizer_config.json` and `special_tokens_map.json` (whose entries win), and the
    /// tokenizer class's defaults for those they do not name, become variables, as transformers
    /// passes `special_tokens_map`. `tokenizer` is the folder's tokenizer when the caller has it
    /// loaded (the class defaults are looked up in its vocabulary); nil loads it when needed.
    public static func load(directory: URL, tokenizer: Tokenizer? = nil, limits: Limits = Limits()) throws -> ChatTemplate? {
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let jinjaURL = directory.appendingPathComponent("chat_template.jinja")
        let hasConfig = FileManager.default.fileExists(atPath: configURL.path)
        let config = hasConfig ? try JSONValue.parse(try LegacyFiles.read(configURL), file: configURL.path) : nil
        let specials = try specialTokens(directory: directory, config: config, tokenizer: tokenizer)
        // Template files: additional_chat_templates/NAME.jinja, then chat_template.jinja as "default"
        // unless an additional file is named default.jinja (transformers reads it last).
        let extraFolder = directory.appendingPathComponent("additional_chat_templates")
        let extras = ((try? FileManager.default.contentsOfDirectory(atPath: extraFolder.path)) ?? [])
            .filter { $0.hasSuffix(".jinja") }.sorted()
        let fileURL: URL? = extras.contains("default.jinja") ? extraFolder.appendingPathComponent("default.jinja")
            : FileManager.default.fileExists(atPath: jinjaURL.path) ? jinjaURL : nil
        if let fileURL {
            let data = try LegacyFiles.read(fileURL)
            guard let text = String(data: data, encoding: .utf8) else {
                throw ChatTemplateError(origin: fileURL.path, detail: "the file is not valid UTF-8")
            }
            return try ChatTemplate(text, origin: fileURL.path, specialTokens: specials, limits: limits)
        }
        if !extras.isEmpty {
            // The files replace the config's templates, and none is the default.
            throw ChatTemplateError(origin: extraFolder.path, detail: "several templates and none named 'default' (names: "
                                    + extras.map { String($0.dropLast(".jinja".count)) }.joined(separator: ", ") + ")")
        }
        guard let value = config?["chat_template"], !value.isNull else { return nil }
        let origin = "\(configURL.path): chat_template"
        switch value {
        case .string(let text):
            return try ChatTemplate(text, origin: origin, specialTokens: specials, limits: limits)
        case .array(let entries):
            var names: [String] = []
            for (i, entry) in entries.enumerated() {
                guard case .string(let name)? = entry["name"], case .string(let text)? = entry["template"] else {
                    throw ChatTemplateError(origin: origin, detail: "entry \(i) is not {\"name\": string, \"template\": string}")
                }
                if name == "default" {
                    return try ChatTemplate(text, origin: "\(origin) (default)", specialTokens: specials, limits: limits)
                }
                names.append(name)
            }
            throw ChatTemplateError(origin: origin, detail: "several templates and none named 'default' (names: \(names.sorted().joined(separator: ", ")))")
        default:
            throw ChatTemplateError(origin: origin, detail: "expected a string or a list of {name, template}, found \(value.kindName)")
        }
    }

    /// transformers' `special_tokens_map`: each special-token attribute that is set and not empty
    /// (`bos_token`, `eos_token`, `unk_token`, `sep_token`, `pad_token`, `cls_token`, `mask_token`,
    /// `additional_special_tokens`), as text. `config` is the parsed `tokenizer_config.json`, `nil`
    /// when there is none. An attribute neither file names (not even as null) takes the default of
    /// the tokenizer class `AutoTokenizer` picks (``FastTokenizerOverrides/Family/defaultSpecialTokens``)
    /// when the folder's tokenizer has that token: with a `tokenizer.json` it always does, as the
    /// default is added as `transformers` adds it (a new id when the vocabulary lacks it); a
    /// tokenizer from other files may lack it, and it is then left out. `tokenizer` is that tokenizer if already loaded; else
    /// reading its files fails as ``Tokenizer/load(directory:)`` does, and a folder with none has no
    /// vocabulary.
    static func specialTokens(directory: URL, config: JSONValue?,
                              tokenizer: Tokenizer? = nil) throws -> [(name: String, value: SpecialTokenValue)] {
        var merged = try TokenizerConfig(directory: directory, tokenizerConfig: config)
        if let name = try FastTokenizerOverrides.tokenizerClass(tokenizerConfig: config ?? .object([]), directory: directory),
           FastTokenizerOverrides.family(tokenizerClass: name) == .t5 {
            let file = FastTokenizerOverrides.settingsFile(directory: directory, hasConfig: config != nil)
            _ = try FastTokenizerOverrides.applyT5ExtraIDs(&merged, file: file)
        }
        let defaults = try FastTokenizerOverrides.unnamedDefaultSpecialTokens(tokenizerConfig: config, config: merged,
                                                                             directory: directory)
        var vocabulary = tokenizer
        if !defaults.isEmpty, vocabulary == nil {
            do { vocabulary = try Tokenizer.load(directory: directory) } catch TokenizerError.noTokenizerFiles {}
        }
        var out: [(name: String, value: SpecialTokenValue)] = []
        for key in TokenizerConfig.specialKeys {
            if let t = merged.tokenContent(key), !t.isEmpty {
                out.append((key, .token(t)))
            } else if let t = defaults[key], vocabulary?.id(of: t) != nil {
                out.append((key, .token(t)))
            }
        }
        if case .array(let extra)? = merged.value("additional_special_tokens") {
            let tokens: [String] = extra.compactMap {
                if case .string(let s) = $0 { return s }
                if case .string(let s)? = $0["content"] { return s }
                return nil
            }
            if !tokens.isEmpty { out.append(("additional_special_tokens", .tokens(tokens))) }
        }
        return out
    }
}
