import Foundation
import Glassbox

/// What `render` reads of a saved result, in one decoding pass: its `"command"` and, for an
/// explain result, the typed record — a sequence record when `"matrix"` and `"generated"` are
/// present — or the decoding error, reported once the command is known to be drawable. Explain
/// results are never built as a dictionary (for a long explanation that takes tens of times the
/// file's size); other results are, in the same pass, for `ResultFigures` / `ResultPages`.
struct ResultKind: Decodable {
    /// An explain result's record, or why it does not decode.
    enum Explanation {
        case single(Result<ExplanationRecord, Error>)
        case sequence(Result<SequenceExplanationRecord, Error>)
    }

    var command: String?
    var explanation: Explanation?
    /// A result other than explain as `JSONSerialization` gives it (nil for explain results and
    /// for a document without a string `"command"`).
    var object: [String: Any]?

    private enum Keys: String, CodingKey { case command, matrix, generated }

    /// `userInfo` key of the decoder: the file's size in bytes (an `Int`), for `ResultMemory`.
    static let fileBytes = CodingUserInfoKey(rawValue: "glassbox.resultFileBytes")!

    /// Decodes `data` (a result file of that size), refusing with `ResultMemory.Refusal` a
    /// dictionary result that would not fit in the memory available (see `ResultMemory`).
    /// A string or encoding the decoder could not read is reported as `InvalidJSONText` (line,
    /// column and why), for the explain record as for the document.
    static func decode(_ data: Data) throws -> ResultKind {
        if let kind = try attention(data) { return kind }
        let decoder = JSONDecoder()
        decoder.userInfo[fileBytes] = data.count
        let kind: ResultKind
        do { kind = try decoder.decode(ResultKind.self, from: data) } catch let refusal as ResultMemory.Refusal {
            throw refusal
        } catch {
            throw InvalidJSONText.find(in: data) ?? error
        }
        switch kind.explanation {
        case .single(.failure), .sequence(.failure): if let invalid = InvalidJSONText.find(in: data) { throw invalid }
        default: break
        }
        return kind
    }

    /// An `attention` result with its `"attention"` weights read straight into float32
    /// (`NumericArrayReader`; `ResultJSON.attention` takes them as they are) and the rest of the
    /// document as dictionaries: the peak is the file and its numbers as float32, not
    /// `ResultMemory`'s 21 bytes per byte. Nil when the file is anything else or the weights are not
    /// a `[layers, heads, n, n]` array of numbers; then `decode` reads it the ordinary way.
    private static func attention(_ data: Data) throws -> ResultKind? {
        guard let ranges = NumericArrayReader.topLevelValues(data, keys: ["command", "attention"]),
              let command = ranges["command"], let weights = ranges["attention"],
              (try? JSONDecoder().decode(String.self, from: data.subdata(in: (data.startIndex + command.lowerBound)..<(data.startIndex + command.upperBound)))) == "attention"
        else { return nil }
        try ResultMemory.check(fileBytes: data.count, bytesPerFileByte: ResultMemory.attentionBytesPerFileByte)
        guard let array = NumericArrayReader.array(data, at: weights, allowNull: false), array.shape.count == 4,
              var kind = try? JSONDecoder().decode(ResultKind.self, from: NumericArrayReader.removing([weights], from: data)),
              kind.command == "attention", kind.object != nil else { return nil }
        kind.object?["attention"] = array
        return kind
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        command = try? container.decodeIfPresent(String.self, forKey: .command)
        guard command == "explain" else {
            if command != nil {
                if let bytes = decoder.userInfo[Self.fileBytes] as? Int { try ResultMemory.check(fileBytes: bytes) }
                object = try FoundationJSON(from: decoder).value as? [String: Any]
            }
            return
        }
        explanation = container.contains(.matrix) && container.contains(.generated)
            ? .sequence(Result { try SequenceExplanationRecord(from: decoder) })
            : .single(Result { try ExplanationRecord(from: decoder) })
    }
}

extension ResultKind.Explanation {
    /// The single-step record, or a `FileProblem` naming `path` and what is wrong.
    static func single(_ decoded: Result<ExplanationRecord, Error>, path: String) throws -> ExplanationRecord {
        let record: ExplanationRecord
        do { record = try decoded.get() } catch {
            throw FileProblem(path: path, reason: "not a readable explain result (\(UserMessage.line(for: error)))")
        }
        // Glassbox computes in Float32: a score beyond its range was not written by it, and the
        // drawing code's scale (1 / max |score|) would be 0 and its matrix singular.
        if let (i, token) = record.tokens.enumerated().first(where: { Float32Narrowing.narrow($0.element.score) == nil }) {
            throw FileProblem(path: path, reason: "not a readable explain result (\(Float32Narrowing.refusal(token.score, at: "token \(i)", what: "score")))")
        }
        for (name, rows) in [("patches", record.extra.patches), ("heads", record.extra.heads)] {
            if let value = rows?.lazy.flatMap({ $0 }).first(where: { Float32Narrowing.narrow($0) == nil }) {
                throw FileProblem(path: path, reason: "not a readable explain result (a score \(value) in \(name) is not a finite 32-bit float)")
            }
        }
        return record
    }

    /// The sequence record with its shapes checked, or a `FileProblem` naming `path` and the first
    /// mismatch.
    static func sequence(_ decoded: Result<SequenceExplanationRecord, Error>, path: String) throws -> SequenceExplanationRecord {
        do {
            let record = try decoded.get()
            try record.validate()
            return record
        } catch {
            throw FileProblem(path: path, reason: "not a readable sequence explanation (\(UserMessage.line(for: error)))")
        }
    }
}

/// A JSON value decoded into the types `JSONSerialization` gives (`[String: Any]`, `[Any]`,
/// `String`, `NSNumber`, `NSNull`), so a result decoded once can be read by the code that reads
/// parsed dictionaries (`JSONField`). Numbers are tried first: they are most of a result's values.
private struct FoundationJSON: Decodable {
    let value: Any

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { value = NSNull(); return }
        if let number = try? single.decode(Double.self) {
            value = number == number.rounded() && abs(number) < 9e15 ? NSNumber(value: Int(number)) : NSNumber(value: number)
            return
        }
        if let text = try? single.decode(String.self) { value = text; return }
        if let flag = try? single.decode(Bool.self) { value = NSNumber(value: flag); return }
        if var array = try? decoder.unkeyedContainer() {
            var items: [Any] = []
            while !array.isAtEnd { items.append(try array.decode(FoundationJSON.self).value) }
            value = items
            return
        }
        let object = try decoder.container(keyedBy: Key.self)
        var members: [String: Any] = [:]
        for key in object.allKeys { members[key.stringValue] = try object.decode(FoundationJSON.self, forKey: key).value }
        value = members
    }
}
