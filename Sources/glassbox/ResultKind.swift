import Foundation
import Glassbox

/// What `render` reads of a saved result first, in one decoding pass: its `"command"` and, for an
/// explain result, the typed record — a sequence record when `"matrix"` and `"generated"` are
/// present — or the decoding error, reported once the command is known to be drawable. Explain
/// results are never built as a dictionary (for a long explanation that takes tens of times the
/// file's size); other results are read as one by `ResultFigures` / `ResultPages`.
struct ResultKind: Decodable {
    /// An explain result's record, or why it does not decode.
    enum Explanation {
        case single(Result<ExplanationRecord, Error>)
        case sequence(Result<SequenceExplanationRecord, Error>)
    }

    var command: String?
    var explanation: Explanation?

    private enum Keys: String, CodingKey { case command, matrix, generated }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        command = try? container.decodeIfPresent(String.self, forKey: .command)
        guard command == "explain" else { return }
        explanation = container.contains(.matrix) && container.contains(.generated)
            ? .sequence(Result { try SequenceExplanationRecord(from: decoder) })
            : .single(Result { try ExplanationRecord(from: decoder) })
    }
}

extension ResultKind.Explanation {
    /// The single-step record, or a `FileProblem` naming `path` and what is wrong.
    static func single(_ decoded: Result<ExplanationRecord, Error>, path: String) throws -> ExplanationRecord {
        do { return try decoded.get() } catch {
            throw FileProblem(path: path, reason: "not a readable explain result (\(UserMessage.line(for: error)))")
        }
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
