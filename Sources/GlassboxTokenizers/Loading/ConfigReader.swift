/// Typed, path-aware access to one JSON object of a tokenizer file: every failure names the file,
/// the path inside it (`pre_tokenizer.pretokenizers[1]`) and what was expected.
struct ConfigReader: Sendable {
    let value: JSONValue
    let file: String
    let path: String

    init(_ value: JSONValue, file: String, path: String) {
        self.value = value
        self.file = file
        self.path = path
    }

    func fail(_ detail: String) -> TokenizerError {
        .malformedFile(file: file, detail: path.isEmpty ? detail : "\(path): \(detail)")
    }

    /// The member `key`, `nil` when absent or null.
    func member(_ key: String) -> JSONValue? {
        guard let v = value[key], !v.isNull else { return nil }
        return v
    }

    func child(_ key: String) -> ConfigReader? {
        member(key).map { ConfigReader($0, file: file, path: path.isEmpty ? key : "\(path).\(key)") }
    }

    /// The `"type"` member that selects the implementation of a stage.
    func typeName(part: TokenizerPart) throws -> String {
        guard case .object = value else { throw fail("expected an object for the \(part.rawValue), found \(value.kindName)") }
        guard let type = member("type") else { throw fail("the \(part.rawValue) has no \"type\"") }
        guard case .string(let s) = type else { throw fail("\"type\" must be a string") }
        return s
    }

    func string(_ key: String) throws -> String {
        guard let s = try optionalString(key) else { throw fail("missing field '\(key)'") }
        return s
    }

    func optionalString(_ key: String) throws -> String? {
        guard let v = member(key) else { return nil }
        guard case .string(let s) = v else { throw fail("'\(key)' must be a string, found \(v.kindName)") }
        return s
    }

    /// A one-character string (Rust `char` fields such as Metaspace's `replacement`).
    func character(_ key: String) throws -> Unicode.Scalar {
        let s = try string(key)
        guard s.unicodeScalars.count == 1, let c = s.unicodeScalars.first else {
            throw fail("'\(key)' must be a single character, found \(s.debugDescription)")
        }
        return c
    }

    func bool(_ key: String, default fallback: Bool? = nil) throws -> Bool {
        guard let v = member(key) else {
            if let fallback { return fallback }
            throw fail("missing field '\(key)'")
        }
        guard case .bool(let b) = v else { throw fail("'\(key)' must be a boolean, found \(v.kindName)") }
        return b
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard member(key) != nil else { return nil }
        return try bool(key)
    }

    func int(_ key: String, default fallback: Int? = nil) throws -> Int {
        guard let v = member(key) else {
            if let fallback { return fallback }
            throw fail("missing field '\(key)'")
        }
        guard case .int(let i) = v, i >= 0 else { throw fail("'\(key)' must be a non-negative integer, found \(v.kindName)") }
        return i
    }

    func array(_ key: String) throws -> [ConfigReader] {
        guard let v = member(key) else { throw fail("missing field '\(key)'") }
        guard case .array(let items) = v else { throw fail("'\(key)' must be an array, found \(v.kindName)") }
        let base = path.isEmpty ? key : "\(path).\(key)"
        return items.enumerated().map { ConfigReader($0.element, file: file, path: "\(base)[\($0.offset)]") }
    }

    func object(_ key: String) throws -> [(key: String, value: ConfigReader)] {
        guard let v = member(key) else { throw fail("missing field '\(key)'") }
        guard case .object(let members) = v else { throw fail("'\(key)' must be an object, found \(v.kindName)") }
        let base = path.isEmpty ? key : "\(path).\(key)"
        return members.map { ($0.key, ConfigReader($0.value, file: file, path: "\(base).\($0.key)")) }
    }

    /// This value as a string (for array elements).
    func asString() throws -> String {
        guard case .string(let s) = value else { throw fail("expected a string, found \(value.kindName)") }
        return s
    }

    func asInt() throws -> Int {
        guard case .int(let i) = value else { throw fail("expected an integer, found \(value.kindName)") }
        return i
    }
}
