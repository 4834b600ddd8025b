import Foundation
import Glassbox

/// Typed reads from a saved result as `render` holds it (`ResultKind`: `NSNumber`, `String`,
/// `NSNull`, `[Any]`, `[String: Any]`) or as a command builds it (Swift `Double`, `Int`, `Bool`,
/// arrays of them). A missing key is a `Problem` naming it; a value of the wrong kind is a
/// `Problem` "place: expected a number, got a string" — never read as missing or converted:
/// Foundation boxes JSON `true` as an `NSNumber` that `as? Double` turns into 1, so numbers and
/// booleans are told apart here, and every reader of a result goes through these.
enum JSONField {
    /// What is wrong with a result: one line naming the key (what the CLI prints, `detail` itself).
    struct Problem: LocalizedError {
        let detail: String
        var errorDescription: String? { detail }
    }

    // MARK: kinds

    /// Whether `raw` is a JSON boolean: a Swift `Bool`, or the `NSNumber` Foundation boxes
    /// `true`/`false` in (a `char` number, which no JSON number decodes to).
    static func isBoolean(_ raw: Any) -> Bool {
        if type(of: raw) == Bool.self { return true }
        guard type(of: raw) is NSNumber.Type, let number = raw as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    /// `raw` as a number when it is a JSON number (not a boolean), else nil.
    static func number(_ raw: Any) -> Double? {
        if isBoolean(raw) { return nil }
        if type(of: raw) is NSNumber.Type { return (raw as? NSNumber)?.doubleValue }
        switch raw {
        case let value as Double: return value
        case let value as Int: return Double(value)
        case let value as Float: return Double(value)
        default: return nil
        }
    }

    /// `raw` as an integer when it is a whole JSON number in `Int`'s range (not a boolean), else nil.
    static func integer(_ raw: Any) -> Int? {
        if isBoolean(raw) { return nil }
        if type(of: raw) == Int.self { return raw as? Int }
        return type(of: raw) is NSNumber.Type ? raw as? Int : nil
    }

    /// The kind of `raw` as a message names it: `a number`, `a boolean`, `a string`, `null`,
    /// `a list`, `an object`.
    static func kind(_ raw: Any) -> String {
        if isBoolean(raw) { return "a boolean" }
        if number(raw) != nil { return "a number" }
        switch raw {
        case is String: return "a string"
        case is NSNull: return "null"
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        default: return "a value of another kind"
        }
    }

    /// The refusal of `raw` at `place` (a key, or a path such as `methods[0].abpc`).
    static func mismatch(_ raw: Any, at place: String, expected what: String) -> Problem {
        Problem(detail: "\(place): expected \(what), got \(kind(raw))")
    }

    // MARK: values

    /// `value`, or the `Problem` of a missing `key`.
    static func present<T>(_ value: T?, _ key: String) throws -> T {
        guard let value else { throw Problem(detail: "no '\(key)' key") }
        return value
    }

    /// The number `raw` at `place`; anything else (a boolean, null, a string…) is a `mismatch`.
    static func number(_ raw: Any, at place: @autoclosure () -> String) throws -> Double {
        guard let value = number(raw) else { throw mismatch(raw, at: place(), expected: "a number") }
        return value
    }

    /// The number `raw` at `place` narrowed to the float32 glassbox computes and draws in; a
    /// number that is not finite after narrowing (beyond ±3.4e38) is a `Problem` in the shape
    /// of explain's ("attention[0][1][2][3]'s weight 1e+308 is not a finite 32-bit float").
    static func float(_ raw: Any, at place: @autoclosure () -> String, what: String = "value") throws -> Float {
        let value = try number(raw, at: place())
        guard let narrowed = Float32Narrowing.narrow(value) else {
            throw Problem(detail: Float32Narrowing.refusal(value, at: place(), what: what))
        }
        return narrowed
    }

    /// `object[key]` as `T` (described as `what`, e.g. `a string`); missing or of another kind is a `Problem`.
    static func value<T>(_ object: [String: Any], _ key: String, _ type: T.Type, _ what: String) throws -> T {
        let raw = try present(object[key], key)
        guard let value = raw as? T else { throw mismatch(raw, at: key, expected: what) }
        return value
    }

    /// `o[key]`, a string.
    static func string(_ o: [String: Any], _ key: String) throws -> String { try value(o, key, String.self, "a string") }

    /// `o[key]`, an integer (not `true`, which Foundation would read as 1).
    static func int(_ o: [String: Any], _ key: String) throws -> Int { try present(optionalInt(o, key), key) }

    /// `o[key]`, a list of integers; a wrong entry is named by its index (`layers[2]`).
    static func ints(_ o: [String: Any], _ key: String) throws -> [Int] {
        try value(o, key, [Any].self, "a list of integers").enumerated().map { i, raw in
            guard let value = integer(raw) else { throw mismatch(raw, at: "\(key)[\(i)]", expected: "an integer") }
            return value
        }
    }

    /// `o[key]`, a number.
    static func double(_ o: [String: Any], _ key: String) throws -> Double { try present(optionalNumber(o, key), key) }

    /// `o[key]`, a list of numbers; `place` names it in messages (`methods[0].morf`, default the key).
    static func doubles(_ o: [String: Any], _ key: String, place: String? = nil) throws -> [Double] {
        let place = place ?? key
        let raw = try present(o[key], key)
        guard let list = raw as? [Any] else { throw mismatch(raw, at: place, expected: "a list of numbers") }
        return try list.enumerated().map { i, value in try number(value, at: "\(place)[\(i)]") }
    }

    /// `o[key]`, an object.
    static func object(_ o: [String: Any], _ key: String) throws -> [String: Any] {
        try value(o, key, [String: Any].self, "an object")
    }

    /// `o[key]`, a list of objects.
    static func objects(_ o: [String: Any], _ key: String) throws -> [[String: Any]] {
        try value(o, key, [[String: Any]].self, "a list of objects")
    }

    // MARK: optional values (absent is nil; present, the kind is checked)

    /// `o[key]` when present, as a number; `place` names it (default the key).
    static func optionalNumber(_ o: [String: Any], _ key: String, place: String? = nil) throws -> Double? {
        try o[key].map { try number($0, at: place ?? key) }
    }

    /// `o[key]` when present, as an integer.
    static func optionalInt(_ o: [String: Any], _ key: String, place: String? = nil) throws -> Int? {
        try o[key].map { raw in
            guard let value = integer(raw) else { throw mismatch(raw, at: place ?? key, expected: "an integer") }
            return value
        }
    }

    /// `o[key]` when present, as a boolean.
    static func optionalBool(_ o: [String: Any], _ key: String) throws -> Bool? {
        try o[key].map { raw in
            guard isBoolean(raw), let value = raw as? Bool else { throw mismatch(raw, at: key, expected: "true or false") }
            return value
        }
    }

    /// `o[key]` when present, as a string.
    static func optionalString(_ o: [String: Any], _ key: String) throws -> String? {
        try o[key].map { raw in
            guard let value = raw as? String else { throw mismatch(raw, at: key, expected: "a string") }
            return value
        }
    }

    /// `o[key]` when present, as a list.
    static func optionalList(_ o: [String: Any], _ key: String) throws -> [Any]? {
        try o[key].map { raw in
            guard let value = raw as? [Any] else { throw mismatch(raw, at: key, expected: "a list") }
            return value
        }
    }
}
