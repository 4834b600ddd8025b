import Foundation
import Glassbox

/// One input record of `glassbox batch` (docs/batch.md): a JSONL line
/// `{"id": …, "text": …}`, `{"id": …, "ids": […]}` or `{"id": …, "image": "file.png"}`, with an
/// optional `"target"` and per-line option overrides (any other key, an option of the command:
/// `{"method": "atman"}` is `--method atman`, `{"words": true}` is `--words`).
struct BatchInput {
    /// What the line gives as the input.
    enum Source {
        case text(String)
        case ids([Int])
        /// The image path, resolved against the input file's folder when relative.
        case image(String)
        /// No input key: for commands whose input is in option overrides (`patch`: `clean`, `corrupted`).
        case none
    }

    /// 0-based position among the file's input records (blank lines are not records); the
    /// order results are written and merged in.
    let index: Int
    /// The `"id"` value as JSON text (a string or a number), written back unchanged.
    let idJSON: String
    /// The `"id"` as plain text (a string's characters, a number as `idJSON` writes it), for file names.
    let idText: String
    let source: Source
    /// `"target"`: a string (token text or label) or an integer (id or class index).
    let target: Any?
    /// The other keys, as command-line arguments (`--key value` / `--flag`), in key order.
    let arguments: [String]

    /// Keys with a meaning of their own; every other key is an option override.
    static let reservedKeys: Set<String> = ["id", "text", "ids", "image", "target"]
    /// Options a line may not set: the model is loaded once for the whole batch, and the output
    /// is the batch's file.
    static let batchWideKeys: Set<String> = ["model", "threads", "allow-nonfinite", "out", "help"]
    /// Options that write the command's JSON elsewhere — stdout (`--json`) or a file of its own
    /// (`--save-json`) — which a batch never does: each record in `--out` is that JSON.
    static let ownFileKeys: Set<String> = ["save-json", "json"]

    /// Why `--json` or `--save-json` is refused in a batch, batch-wide or per line.
    static func ownFileMessage(_ option: String) -> String {
        option == "json"
            ? "--json is not needed in a batch: each input's record in --out is already the JSON --json prints, so leave it out"
            : "--\(option) is not available in a batch: each input's JSON is its record in --out"
    }

    /// Whether `option` can name a command-line option at all: lower-case letters, digits and
    /// hyphens (`"model=x"` or `"--out"` would reach the parser as something else).
    static func isOptionName(_ option: String) -> Bool {
        guard let first = option.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return option.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// Parses one line. Errors carry the id when the line has one (see ``BatchLineError``).
    static func parse(_ bytes: [UInt8], index: Int, line: Int, folder: URL) throws -> BatchInput {
        if let bad = UTF8Validation.firstInvalidOffset(bytes) {
            throw BatchLineError(idJSON: nil, message: "byte \(bad) is not valid UTF-8")
        }
        if let refusal = PythonJSONSyntax.firstRefusal(bytes) {
            throw BatchLineError(idJSON: nil, message: "\(refusal.problem) (Python's json refuses it)",
                                 column: JSONLexer.lineColumn(of: refusal.offset, in: bytes).column)
        }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? [String: Any] else {
                throw BatchLineError(idJSON: nil, message: "not a JSON object")
            }
            object = parsed
        } catch let error as BatchLineError {
            throw error
        } catch {
            throw Self.notJSON(bytes)
        }
        let idJSON = try Self.idJSON(object["id"], line: line)
        func fail(_ message: String) -> BatchLineError { BatchLineError(idJSON: idJSON, message: message) }

        let given = ["text", "ids", "image"].filter { object[$0] != nil }
        guard given.count <= 1 else { throw fail("give one of \"text\", \"ids\" and \"image\", not \(given.joined(separator: " and "))") }
        let source: Source
        switch given.first {
        case "text":
            guard let text = object["text"] as? String else { throw fail("\"text\" must be a string") }
            source = .text(text)
        case "ids":
            guard let values = object["ids"] as? [Any], let ids = Self.integers(values) else {
                throw fail("\"ids\" must be an array of integers")
            }
            source = .ids(ids)
        case "image":
            guard let path = object["image"] as? String, !path.isEmpty else { throw fail("\"image\" must be a file name") }
            source = .image(path.hasPrefix("/") ? path : folder.appendingPathComponent(path).path)
        default:
            source = .none
        }
        var target: Any?
        if let value = object["target"] {
            if let text = value as? String { target = text }
            else if let number = value as? NSNumber, !Self.isBool(number), let id = Int(exactly: number.doubleValue) { target = id }
            else { throw fail("\"target\" must be a string (token text or label) or an integer (id or class index)") }
        }
        var arguments: [String] = []
        for key in object.keys.sorted() where !reservedKeys.contains(key) {
            let option = Self.optionName(key)
            guard Self.isOptionName(option) else {
                throw fail("\"\(key)\" is not an option name (letters, digits, - and _ only)")
            }
            guard !ownFileKeys.contains(option) else { throw fail(Self.ownFileMessage(option)) }
            guard !batchWideKeys.contains(option) else {
                throw fail("\"\(key)\" cannot change per line: the batch sets it for every input (pass it to `glassbox batch`)")
            }
            switch object[key] {
            case let number as NSNumber where Self.isBool(number):
                if number.boolValue { arguments.append("--" + option) }
            case let number as NSNumber:
                arguments += ["--" + option, number.stringValue]
            case let text as String:
                arguments += ["--" + option, text]
            case let values as [Any]:
                guard let items = Self.scalars(values) else { throw fail("\"\(key)\" must be a value or an array of values") }
                arguments += ["--" + option, items.joined(separator: ",")]
            default:
                throw fail("\"\(key)\" must be a string, a number, a boolean or an array of them")
            }
        }
        // A number as the record writes it (3.0 → 3), so the picture's name matches the record's id.
        let idText = (object["id"] as? String) ?? idJSON
        return BatchInput(index: index, idJSON: idJSON, idText: idText, source: source, target: target, arguments: arguments)
    }

    /// Why a line Foundation could not parse is refused: a number beyond float64's range (Python
    /// reads `1e400` as `inf`, which no JSON line can hold) or a non-finite literal (`NaN`,
    /// `Infinity`, which Python accepts and JSON does not) is named with its column; anything else
    /// is "not JSON".
    static func notJSON(_ bytes: [UInt8]) -> BatchLineError {
        var lexer = JSONLexer(bytes)
        while case let token = lexer.next(), token.kind != .end {
            let text = String(decoding: bytes[token.range], as: UTF8.self)
            let column = JSONLexer.lineColumn(of: token.range.lowerBound, in: bytes).column
            switch token.kind {
            case .number where !(Double(text)?.isFinite ?? true):
                return BatchLineError(idJSON: nil, message: "the number \(text) is beyond float64's range (Python reads it as inf)",
                                      column: column)
            case .nan, .infinity, .negativeInfinity:
                return BatchLineError(idJSON: nil, message: "\(text) is not a JSON value (numbers must be finite)", column: column)
            default: continue
            }
        }
        return BatchLineError(idJSON: nil, message: "not JSON")
    }

    /// `"id"` as JSON text: a string or a finite number; required.
    private static func idJSON(_ value: Any?, line: Int) throws -> String {
        guard let value, !(value is NSNull) else { throw BatchLineError(idJSON: nil, message: "no \"id\"") }
        guard let text = validID(value) else {
            throw BatchLineError(idJSON: nil, message: "\"id\" must be a string or a number")
        }
        return text
    }

    /// `value` as JSON text when it is an id batch accepts (a string or a finite number), else
    /// nil: the one rule for batch's records and for what `merge --in` and `--resume` expect,
    /// so a line refused for its id (written with `"id": null`) matches its input on both sides.
    static func validID(_ value: Any?) -> String? {
        guard let value else { return nil }
        let valid = value is String || ((value as? NSNumber).map { !isBool($0) && $0.doubleValue.isFinite } ?? false)
        return valid ? JSONText.fragment(value) : nil
    }

    /// `maxTokens` → `max-tokens`, `top_k` → `top-k`; kebab-case keys stay as they are.
    static func optionName(_ key: String) -> String {
        var name = ""
        for character in key {
            if character == "_" { name.append("-") }
            else if character.isUppercase { name += "-" + character.lowercased() }
            else { name.append(character) }
        }
        return name
    }

    /// JSON `true` / `false` (Foundation hands them out as NSNumbers of type `c`, numbers never are).
    private static func isBool(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }

    private static func integers(_ values: [Any]) -> [Int]? {
        var ids: [Int] = []
        for value in values {
            guard let number = value as? NSNumber, !isBool(number), let id = Int(exactly: number.doubleValue) else { return nil }
            ids.append(id)
        }
        return ids
    }

    private static func scalars(_ values: [Any]) -> [String]? {
        var items: [String] = []
        for value in values {
            if let text = value as? String { items.append(text) }
            else if let number = value as? NSNumber, !isBool(number) { items.append(number.stringValue) }
            else { return nil }
        }
        return items
    }
}

/// A line `glassbox batch` cannot run: it becomes the error record `{"id": …, "error": …}`.
struct BatchLineError: Error, LocalizedError {
    /// The line's `"id"` as JSON text, when it has a valid one.
    let idJSON: String?
    let message: String
    /// The column (1-based, in bytes) the message is about, when it is about one place.
    var column: Int? = nil
    var errorDescription: String? { message }
}
