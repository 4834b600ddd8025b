import Foundation
import Glassbox

/// One input of `glassbox evaluate`, as read from the command line or a file.
struct EvaluationSource {
    /// The text to tokenize, or nil for ids and images.
    var text: String?
    /// Token ids given directly (JSONL `"ids"`).
    var ids: [Int]?
    /// An image file (`--images`).
    var image: URL?
    /// JSONL `"target"`: a token text or class label.
    var targetText: String?
    /// JSONL `"target"` as a number: a token id or class index.
    var targetID: Int?
    /// JSONL `"compare"` (or `--compare`): the second text of a similarity pair.
    var compare: String?
    /// Where it came from, for messages (`FILE:LINE`, the image path, or "the prompt").
    var origin: String
}

/// Reads the inputs of `glassbox evaluate`: a prompt, a file of lines or JSONL records, or a
/// folder of PNG images.
enum EvaluationInputs {
    /// The inputs `--prompts FILE` names: one per non-empty line of plain text, or, when the first
    /// non-empty line starts with `{`, one JSON object per line: `{"text": …}` or `{"ids": [...]}`,
    /// with an optional `"target"` (token text, class label, or id) and `"compare"` (a second text).
    static func read(prompts path: String, limit: Int?) throws -> [EvaluationSource] {
        let data = try InputFile.read(path: (path as NSString).expandingTildeInPath, limit: InputLimits.resultFileBytes)
        if let bad = UTF8Validation.firstInvalidOffset(Array(data)) {
            throw InvalidUTF8.file(path: path, offset: bad, byte: data[data.startIndex + bad], replaceable: false)
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let jsonl = lines.first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }?
            .trimmingCharacters(in: .whitespaces).hasPrefix("{") ?? false
        var sources: [EvaluationSource] = []
        for (index, raw) in lines.enumerated() {
            if let limit, sources.count >= limit { break }
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !line.isEmpty else { continue }
            let origin = "\(path):\(index + 1)"
            guard jsonl else {
                sources.append(EvaluationSource(text: line, origin: origin))
                continue
            }
            sources.append(try record(line, origin: origin, path: path, line: index + 1))
        }
        guard !sources.isEmpty else { throw FileProblem(path: path, reason: "holds no input (one text per line, or JSONL records)") }
        return sources
    }

    private static func record(_ line: String, origin: String, path: String, line number: Int) throws -> EvaluationSource {
        // FILE:LINE: as every other message about a line of the file (`origin`).
        func problem(_ what: String) -> FileProblem { FileProblem(path: "\(path):\(number)", reason: what) }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
            throw problem("not a JSON object (JSONL: one {\"text\": …} or {\"ids\": […]} per line)")
        }
        // "id" is allowed beside them (a batch file's record name), and ignored.
        if let unknown = object.keys.sorted().first(where: { !["text", "ids", "target", "compare", "id"].contains($0) }) {
            throw problem("unknown key \"\(unknown)\" (a record has \"text\" or \"ids\", optional \"target\" and \"compare\")")
        }
        var source = EvaluationSource(origin: origin)
        switch (object["text"], object["ids"]) {
        case (let text as String, nil):
            guard !text.isEmpty else { throw problem("\"text\" is empty") }
            source.text = text
        case (nil, let ids as [Any]):
            // Not `true` / `false`, which Foundation boxes as the NSNumbers 1 and 0 (`JSONField`).
            let parsed = ids.compactMap { raw in
                JSONField.isBoolean(raw) ? nil : (raw as? NSNumber).flatMap { Int(exactly: $0.doubleValue) }
            }
            guard parsed.count == ids.count, !parsed.isEmpty else { throw problem("\"ids\" must be a non-empty list of integers") }
            source.ids = parsed
        case (nil, nil): throw problem("needs \"text\" or \"ids\"")
        case (nil, _?): throw problem("\"ids\" must be a non-empty list of integers")
        case (_?, nil): throw problem("\"text\" must be a string")
        default: throw problem("give \"text\" (a string) or \"ids\" (a list), not both")
        }
        switch object["target"] {
        case nil, is NSNull: break
        case let text as String: source.targetText = text
        case let number as NSNumber where !JSONField.isBoolean(number):
            guard let id = Int(exactly: number.doubleValue), id >= 0 else { throw problem("\"target\" \(number) is not a token id") }
            source.targetID = id
        default: throw problem("\"target\" must be a token text, a class label or an id")
        }
        if let compare = object["compare"] {
            guard let text = compare as? String, !text.isEmpty else { throw problem("\"compare\" must be a non-empty text") }
            source.compare = text
        }
        return source
    }

    /// The PNG files of `folder`, sorted by name (at most `limit`), each recorded as an input
    /// (`CommandInputs`: `--out` may not replace one).
    static func read(images folder: String, limit: Int?) throws -> [EvaluationSource] {
        let url = URL(fileURLWithPath: (folder as NSString).expandingTildeInPath)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw FileProblem(path: folder, reason: "not a folder (--images takes a folder of PNG files)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: url.path)
            .filter { $0.lowercased().hasSuffix(".png") }.sorted()
        guard !names.isEmpty else { throw FileProblem(path: folder, reason: "holds no .png file") }
        return names.prefix(limit ?? names.count).map { name in
            let file = url.appendingPathComponent(name)
            CommandInputs.record(file.path, as: "--images file")
            return EvaluationSource(image: file, origin: (folder as NSString).appendingPathComponent(name))
        }
    }
}
