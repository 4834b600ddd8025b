import Foundation

extension FastTokenizerOverrides {
    /// `T5TokenizerFast.__init__` (`transformers` 4.53.3) on the merged files `config`: `extra_ids`
    /// (default 100) sentinel tokens `<extra_id_0>` … `<extra_id_{n−1}>` join
    /// `additional_special_tokens` when none of its entries names an `<extra_id_` token (all of
    /// them when it is absent); a list that names some must name exactly `extra_ids` of them
    /// (unless `extra_ids` is 0). Returns `extra_ids`: the converter of a `spiece.model` puts that
    /// many sentinels at the end of the vocabulary, `<extra_id_0>` last; a negative `extra_ids` makes
    /// none (`range(extra_ids)` is empty). `extra_ids` that is not an integer, or above 1,000,000,
    /// or a list that names another number of sentinels, is a
    /// `malformedFile` error naming `file` (`tokenizer_config.json`, or `special_tokens_map.json`)
    /// and the key, as `transformers` refuses it.
    static func applyT5ExtraIDs(_ config: inout TokenizerConfig, file: String) throws -> Int {
        let count: Int
        switch config.value("extra_ids") {
        case nil: count = 100
        // A negative count makes no sentinels (`range(extra_ids)` is empty), as in transformers.
        case .int(let n)? where n <= 1_000_000: count = max(n, 0)
        case .int(let n)?:
            throw TokenizerError.malformedFile(file: file, detail: "'extra_ids' is \(n); at most 1,000,000 sentinels are supported")
        case let other?:
            throw TokenizerError.malformedFile(file: file, detail: "'extra_ids' must be an integer, found \(other.kindName)")
        }
        let sentinels = (0..<count).map { JSONValue.string("<extra_id_\($0)>") }
        guard case .array(let listed)? = config.value("additional_special_tokens") else {
            config.set("additional_special_tokens", .array(sentinels))
            return count
        }
        // `"<extra_id_" in str(x)`: an entry's content (a string, or an object's "content").
        let named = listed.filter { item in
            let content: String? = if case .string(let s) = item { s } else if case .string(let s)? = item["content"] { s } else { nil }
            return content?.contains("<extra_id_") ?? false
        }
        if named.isEmpty {
            config.set("additional_special_tokens", .array(listed + sentinels))
        } else if count > 0 && named.count != count {
            throw TokenizerError.malformedFile(file: file, detail: "'additional_special_tokens' names \(named.count) <extra_id_N> "
                                               + "tokens but 'extra_ids' is \(count); T5TokenizerFast needs them equal")
        }
        return count
    }
}
