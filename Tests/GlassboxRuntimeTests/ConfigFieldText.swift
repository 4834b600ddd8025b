import Foundation
import GlassboxTestSupport

/// Respelling one field of a config.json in its text, for tests that write a value as
/// transformers would not (`"hidden_size": 32.0`, `"tie_word_embeddings": 0`) and keep the rest of
/// the file byte for byte (JSONSerialization would rewrite `8.0` as `8`). A field is a top-level key
/// or `MEMBER.KEY`, a key of the object `MEMBER` (`text_config.sliding_window`), named as the
/// loader's messages name it.
enum ConfigFieldText {
    /// The field or its object is not written as the test expects (the message says how).
    struct NotFound: Error, CustomStringConvertible { let description: String }

    /// `text` with the one value of `field` that `value` (a regular expression) matches replaced
    /// by `spelling` of the value written there, and that value. Throws unless exactly one member
    /// `"KEY": value` is found in `field`'s object (for a top-level key: anywhere in the file).
    static func respell(_ text: String, field: String, value: String,
                        as spelling: (String) -> String) throws -> (text: String, old: String) {
        var scope = text.startIndex..<text.endIndex
        var key = Substring(field)
        while let dot = key.firstIndex(of: ".") {
            scope = try objectBody(of: String(key[..<dot]), in: text, within: scope)
            key = key[key.index(after: dot)...]
        }
        let pattern = try NSRegularExpression(pattern: "(\"\(NSRegularExpression.escapedPattern(for: String(key)))\"\\s*:\\s*)(\(value))")
        let range = NSRange(scope, in: text)
        var matches = pattern.matches(in: text, range: range)
        if matches.count > 1 {   // the key written again in a nested object (PhiMoE's rope_scaling.original_max_position_embeddings)
            let depths = matches.map { depth(at: Range($0.range, in: text)!.lowerBound, in: text, from: scope.lowerBound) }
            matches = zip(matches, depths).filter { $0.1 == depths.min() }.map(\.0)
        }
        guard matches.count == 1, let valueRange = Range(matches[0].range(at: 2), in: text) else {
            throw NotFound(description: "\(field) is written \(matches.count) times as \(value)")
        }
        let old = String(text[valueRange])
        return (text.replacingCharacters(in: valueRange, with: spelling(old)), old)
    }

    /// How many objects or lists are open at `index`, counted from `start` (strings skipped).
    private static func depth(at index: String.Index, in text: String, from start: String.Index) -> Int {
        var depth = 0, inString = false, escaped = false
        for c in text[start..<index] {
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if c == "\"" {
                inString = true
            } else if c == "{" || c == "[" {
                depth += 1
            } else if c == "}" || c == "]" {
                depth -= 1
            }
        }
        return depth
    }

    /// The text between the braces of the object that is the value of `member` in `scope`
    /// (strings skipped while counting braces).
    private static func objectBody(of member: String, in text: String, within scope: Range<String.Index>) throws -> Range<String.Index> {
        guard let head = text.range(of: "\"\(member)\"\\s*:\\s*\\{", options: .regularExpression, range: scope) else {
            throw NotFound(description: "no object '\(member)' in the config")
        }
        var depth = 1, inString = false, escaped = false
        var index = head.upperBound
        while index < scope.upperBound {
            let c = text[index]
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if c == "\"" {
                inString = true
            } else if c == "{" {
                depth += 1
            } else if c == "}" {
                depth -= 1
                if depth == 0 { return head.upperBound..<index }
            }
            index = text.index(after: index)
        }
        throw NotFound(description: "the object '\(member)' is not closed")
    }

    /// The folders under Tests/Fixtures/models that are model checkpoints (hold a config.json),
    /// sorted: the models the field generators cover.
    static func fixtureCheckpoints() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Fixtures.models.path).filter {
            FileManager.default.fileExists(atPath: Fixtures.model($0).appendingPathComponent("config.json").path)
        }.sorted()
    }
}
