import Foundation

/// `tokenizer_config.json` with `special_tokens_map.json` and `added_tokens.json`: the options and
/// special tokens `transformers` reads when it builds a tokenizer. `special_tokens_map.json`'s
/// entries win, and `added_tokens.json` is read, but only when `tokenizer_config.json` has no
/// `added_tokens_decoder`: with one, `transformers` (4.53) reads neither file. On that legacy path
/// the two files' `additional_special_tokens` lists are joined as `transformers` joins them (the
/// config's, then the map's new ones). Absent files are empty.
struct TokenizerConfig {
    private var values: [String: JSONValue] = [:]
    /// `tokenizer_config.json`'s `added_tokens_decoder`, by id; `normalizedGiven` says whether the
    /// entry has `normalized` (else it follows the final `special` flag, as in the reference).
    private(set) var addedTokensDecoder: [(id: Int, token: AddedToken, normalizedGiven: Bool)] = []
    /// `added_tokens.json`'s token → id entries, by id (none when there is `added_tokens_decoder`).
    private(set) var addedTokensFile: [(String, Int)] = []
    /// Whether `tokenizer_config.json` has `added_tokens_decoder` (then `transformers` reads
    /// neither `special_tokens_map.json` nor `added_tokens.json`: not its legacy path).
    private(set) var hasAddedTokensDecoder = false

    /// The special-token attributes, in the order `transformers` adds them.
    static let specialKeys = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]

    /// Reads the three files of `directory`; `tokenizerConfig`, when given, is its
    /// `tokenizer_config.json` already parsed (not read again).
    init(directory: URL, tokenizerConfig parsed: JSONValue? = nil) throws {
        // transformers' legacy path (the map) is taken only without `added_tokens_decoder`.
        for name in ["tokenizer_config.json", "special_tokens_map.json"] where name != "special_tokens_map.json" || !hasAddedTokensDecoder {
            let url = directory.appendingPathComponent(name)
            let value: JSONValue
            if name == "tokenizer_config.json", let parsed {
                value = parsed
            } else {
                guard FileManager.default.fileExists(atPath: url.path) else { continue }
                value = try JSONValue.parse(try LegacyFiles.read(url), file: url.path)
            }
            guard case .object(let members) = value else {
                throw TokenizerError.malformedFile(file: url.path, detail: "expected a JSON object")
            }
            for (key, v) in members {
                // transformers' legacy path: the map's additional_special_tokens follow the
                // config's, less the strings the config's list has (its objects are compared as
                // AddedTokens with the config's raw entries, so they are never equal).
                if name == "special_tokens_map.json", key == "additional_special_tokens", case .array(let extra) = v {
                    var merged: [JSONValue] = []
                    if case .array(let own)? = values[key] { merged = own }
                    // The strings of `merged` (byte for byte), as a set: not a scan per entry.
                    var strings = Set(merged.compactMap { if case .string(let t) = $0 { Array(t.utf8) } else { nil } })
                    for item in extra {
                        if case .string(let s) = item, !strings.insert(Array(s.utf8)).inserted { continue }
                        merged.append(item)
                    }
                    values[key] = .array(merged)
                } else {
                    values[key] = v
                }
            }
            if name == "tokenizer_config.json", let decoderValue = value["added_tokens_decoder"] {
                hasAddedTokensDecoder = true
                if case .object(let decoder) = decoderValue {
                    let reader = ConfigReader(value, file: url.path, path: "added_tokens_decoder")
                    for (key, entry) in decoder {
                        guard let id = Int(key) else { throw reader.fail("'\(key)' is not a token id") }
                        let reader = ConfigReader(entry, file: url.path, path: "added_tokens_decoder.\(key)")
                        addedTokensDecoder.append((id, try Tokenizer.addedToken(reader), reader.member("normalized") != nil))
                    }
                    addedTokensDecoder.sort { $0.0 < $1.0 }
                }
            }
        }
        // transformers reads added_tokens.json only on its legacy path (no `added_tokens_decoder`).
        let added = directory.appendingPathComponent("added_tokens.json")
        if !hasAddedTokensDecoder, FileManager.default.fileExists(atPath: added.path),
           case .object(let members) = try JSONValue.parse(try LegacyFiles.read(added), file: added.path) {
            for (token, id) in members { if case .int(let i) = id { addedTokensFile.append((token, i)) } }
            addedTokensFile.sort { $0.1 < $1.1 }
        }
    }

    /// The raw value of `key` (`special_tokens_map.json`'s if both files have it), `nil` if absent.
    func value(_ key: String) -> JSONValue? { values[key] }

    /// Sets `key` as a class's `__init__` sets it (T5's `extra_ids` tokens).
    mutating func set(_ key: String, _ value: JSONValue) { values[key] = value }

    /// The boolean `key`, `nil` if absent or not a boolean.
    func bool(_ key: String) -> Bool? {
        if case .bool(let b)? = values[key] { return b }
        return nil
    }

    /// The content of a special token given as a string or as `{"content": …}`.
    func tokenContent(_ key: String) -> String? {
        switch values[key] {
        case .string(let s)?: return s
        case .object?: if case .string(let s)? = values[key]?["content"] { return s }
        default: break
        }
        return nil
    }

    /// A special token given as a string, or as an object with `content` and flags (`normalized`
    /// false when absent, as the token is special); `nil` for anything else.
    func specialToken(_ value: JSONValue) -> AddedToken? {
        switch value {
        case .string(let s): return AddedToken(content: s, special: true)
        case .object:
            guard case .string(let content)? = value["content"] else { return nil }
            func flag(_ k: String) -> Bool? { if case .bool(let b)? = value[k] { return b } else { return nil } }
            return AddedToken(content: content, singleWord: flag("single_word") ?? false, lstrip: flag("lstrip") ?? false,
                              rstrip: flag("rstrip") ?? false, normalized: flag("normalized") ?? false, special: true)
        default: return nil
        }
    }

    /// The tokens `transformers` adds to the backend tokenizer: `added_tokens_decoder` (by id),
    /// `added_tokens.json`, then the special tokens not already among them (configured or
    /// `defaults`), then `additional_special_tokens`. A special token of `normalizedStrings` given
    /// as a string (or defaulted) is normalized, as a slow class that wraps it in
    /// `AddedToken(token, lstrip=False, rstrip=False)` makes it (`GPT2Tokenizer`'s bos / eos / unk / pad).
    /// One of `lstripStrings` given as a string (or defaulted) matches with `lstrip`, not normalized
    /// (`RobertaTokenizer`'s `AddedToken(mask_token, lstrip=True, rstrip=False, normalized=False)`).
    func tokensToAdd(defaults: [String: String], normalizedStrings: Set<String> = [],
                     lstripStrings: Set<String> = []) -> [AddedToken] {
        var out = addedTokensDecoder.map(\.token)
        out += addedTokensFile.map { AddedToken(content: $0.0, special: false) }
        var specials: [AddedToken] = []
        for key in Self.specialKeys {
            let wrapped = normalizedStrings.contains(key), lstrip = lstripStrings.contains(key)
            if let v = values[key], var t = specialToken(v) {
                if wrapped, case .string = v { t.normalized = true }
                if lstrip, case .string = v { t.lstrip = true }
                specials.append(t)
            } else if values[key] == nil, let d = defaults[key] {
                specials.append(AddedToken(content: d, lstrip: lstrip, normalized: wrapped, special: true))
            }
        }
        if case .array(let extra)? = values["additional_special_tokens"] { specials += extra.compactMap(specialToken) }
        // Contents already given, as a set (byte for byte): not a scan of `out` per special token.
        var given = Set(out.map { Array($0.content.utf8) })
        for t in specials where given.insert(Array(t.content.utf8)).inserted { out.append(t) }
        return out
    }
}
