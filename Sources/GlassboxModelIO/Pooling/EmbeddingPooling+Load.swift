import Foundation
import GlassboxFiles

extension EmbeddingPooling {
    /// The `pooling_mode_*` switches of a `Pooling` config and the mode each turns on.
    static let switches: [(key: String, mode: Mode)] = [
        ("pooling_mode_cls_token", .cls), ("pooling_mode_max_tokens", .max), ("pooling_mode_mean_tokens", .mean),
        ("pooling_mode_mean_sqrt_len_tokens", .meanSqrtLen), ("pooling_mode_weightedmean_tokens", .weightedMean),
        ("pooling_mode_lasttoken", .lastToken),
    ]

    /// The pooling a checkpoint folder asks for, read as sentence-transformers reads it:
    /// `modules.json` lists a `Transformer`, then one `Pooling` module whose folder's `config.json`
    /// sets the modes, then optionally `Normalize` (which leaves a cosine unchanged). Without
    /// `modules.json`: mean pooling. Any other module (`Dense`, `LayerNorm`, …), a module order
    /// sentence-transformers would not run, a module `"path"` that is not a string or leaves the
    /// folder (`isInsideFolder`), or a config this does not understand throws
    /// ``PoolingConfigError`` naming the file.
    public static func load(directory: URL) throws -> EmbeddingPooling {
        let url = directory.appendingPathComponent("modules.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return .mean }
        let file = url.path
        func fail(_ detail: String) -> PoolingConfigError { PoolingConfigError(file: file, detail: detail) }
        guard let modules = try readJSON(url) as? [Any] else { throw fail("must be a JSON list of modules") }
        var poolingPath: String?
        for (index, entry) in modules.enumerated() {
            guard let module = entry as? [String: Any], let type = module["type"] as? String else {
                throw fail("module \(index) must be an object with a string \"type\"")
            }
            let kind = type.hasPrefix("sentence_transformers.") ? String(type.split(separator: ".").last ?? "") : type
            guard let path = module["path"] as? String else { throw fail("module \(index) \"path\" must be a string") }
            guard isInsideFolder(path) else {
                throw fail("module \(index) \"path\" \(path.debugDescription) must be a relative path inside the model folder "
                           + "(Glassbox reads nothing outside it)")
            }
            switch (index, kind, poolingPath) {
            case (0, "Transformer", _):
                continue
            case (0, _, _):
                throw fail("module 0 is \(type), not sentence_transformers.models.Transformer; only a transformer followed by Pooling is supported")
            case (_, "Pooling", nil):
                poolingPath = path
            case (_, "Normalize", .some):
                continue        // unit length: the cosine of the pooled embeddings is unchanged
            default:
                let after = poolingPath == nil ? "before the Pooling module" : "after the Pooling module"
                throw fail("module \(index) (\(type), path \"\(path)\") \(after) is not supported: "
                           + "--compare explains the cosine of the pooled embedding, which only Normalize leaves unchanged")
            }
        }
        guard let poolingPath else { throw fail("lists no sentence_transformers.models.Pooling module") }
        return try loadConfig(directory.appendingPathComponent(poolingPath).appendingPathComponent("config.json"))
    }

    /// Whether a module's `"path"` stays inside the model folder, as sentence-transformers 6.3's
    /// `_validate_relative_path` requires: not rooted (`/x`, `\\x`, `C:x`), no `..` component
    /// (POSIX or Windows separators), no NUL.
    static func isInsideFolder(_ path: String) -> Bool {
        let scalars = Array(path.unicodeScalars)
        if scalars.first == "/" || scalars.first == "\\" || path.contains("\0") { return false }
        if scalars.count >= 2, scalars[1] == ":", scalars[0].properties.isAlphabetic, scalars[0].isASCII { return false }
        return !path.split(whereSeparator: { $0 == "/" || $0 == "\\" }).contains("..")
    }

    /// The modes of a `Pooling` module's `config.json`, as sentence-transformers 6.3 reads it (and
    /// the configs of earlier versions): `pooling_mode` when given — a name (any case, as versions
    /// before 6 lowercased it) or a list of names, concatenated in that order — else the legacy
    /// `pooling_mode_*` switches in `Mode.allCases` order, and mean pooling when none is on or the
    /// config names none (sentence-transformers 6's default). `include_prompt` is accepted either
    /// way (Glassbox adds no prompt, so there is nothing to leave out); the embedding dimension
    /// (`embedding_dimension`, before 6 `word_embedding_dimension`) is not needed.
    static func loadConfig(_ url: URL) throws -> EmbeddingPooling {
        let file = url.path
        func fail(_ detail: String) -> PoolingConfigError { PoolingConfigError(file: file, detail: detail) }
        guard FileManager.default.fileExists(atPath: file) else {
            throw fail("is missing; modules.json names its folder for the Pooling module")
        }
        guard let config = try readJSON(url) as? [String: Any] else { throw fail("must be a JSON object") }
        let known = Set(switches.map(\.key) + ["pooling_mode", "include_prompt", "embedding_dimension", "word_embedding_dimension"])
        if let unknown = config.keys.filter({ !known.contains($0) }).sorted().first {
            throw fail("key '\(unknown)' is not supported; known: \(known.sorted().joined(separator: ", "))")
        }
        // true/false, or a number read by Python's truth value (sentence-transformers tests `if mode:`).
        func truth(_ key: String) throws -> Bool {
            guard let value = config[key], !(value is NSNull) else { return false }
            guard let number = value as? NSNumber, number.doubleValue.isFinite else {
                let shown = (value as? String).map(\.debugDescription) ?? "\(value)"   // "true" quoted, not read as true
                throw fail("'\(key)' must be true or false, got \(shown)")
            }
            return number.doubleValue != 0
        }
        var modes: [Mode] = []
        if let given = config["pooling_mode"], !(given is NSNull) {
            let names = given as? [Any] ?? [given]
            for name in names {
                guard let text = name as? String, let mode = Mode(rawValue: text.lowercased()) else {
                    // The names are sentence-transformers' `Pooling.POOLING_MODES`: `Mode`'s raw values.
                    throw fail("'pooling_mode' \(name) is not one of \(Mode.allCases.map(\.rawValue).sorted().joined(separator: ", "))")
                }
                modes.append(mode)
            }
            guard !modes.isEmpty else { throw fail("'pooling_mode' is an empty list: the embedding would be empty") }
        } else {
            for (key, mode) in switches where try truth(key) { modes.append(mode) }
        }
        _ = try truth("include_prompt")
        return EmbeddingPooling(modes: modes) ?? .mean
    }

    /// A JSON file (a repeated key keeps its last value, as Python's `json` reads it).
    static func readJSON(_ url: URL) throws -> Any {
        let data = try InputFile.readPythonJSON(url, limit: InputLimits.configFileBytes)
        do { return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw PoolingConfigError(file: url.path, detail: "is not valid JSON\(LastKeyWins.syntaxErrorPlace(data).map { " " + $0 } ?? "")")
        }
    }
}
