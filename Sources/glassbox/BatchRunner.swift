import Foundation
import Glassbox

/// Computes a window of batch inputs on several workers (each input on one worker, start to
/// finish) and hands back their output lines in input order.
final class BatchRunner: @unchecked Sendable {
    /// One input line to compute.
    struct Item {
        /// 0-based input index.
        let index: Int
        /// 1-based line number in the input file, for messages.
        let line: Int
        let content: JSONLReader.Line
    }

    /// One output line (without its newline).
    struct Output {
        let data: Data
        /// An error record.
        let failed: Bool
    }

    let kind: BatchCommandKind
    let commandOptions: [String]
    let loaded: LoadedModel
    /// The input file's folder (relative image paths).
    let folder: URL
    let progress: BatchProgress
    /// `--pictures`: where each input's picture goes (`ID.png`, the id made file-name safe).
    let pictures: URL?
    /// The memory check each input passes (its workers' activations at once, and with `pictures`
    /// their PNG surfaces), read before the model loaded.
    let memory: MemoryGate?

    init(kind: BatchCommandKind, commandOptions: [String], loaded: LoadedModel, folder: URL, progress: BatchProgress,
         pictures: URL?, memory: MemoryGate? = nil) {
        (self.kind, self.commandOptions, self.loaded, self.folder, self.progress) = (kind, commandOptions, loaded, folder, progress)
        (self.pictures, self.memory) = (pictures, memory)
    }

    /// The output lines of `items`, in their order; `workers` inputs are computed at once.
    func run(_ items: [Item], workers: Int) -> [Output] {
        let slots = Slots(count: items.count)
        let running = max(1, min(workers, items.count))
        let gate = memory.map { gate in var shared = gate; shared.concurrentRuns = running; return shared }
        DispatchQueue.concurrentPerform(iterations: running) { _ in
            BatchMode.$active.withValue(true) {
                BatchMode.$memory.withValue(gate) {
                    BatchMode.$drawsPictures.withValue(pictures != nil) {
                        while let i = slots.take() {
                            let output = compute(items[i])
                            slots.put(output, at: i)
                            progress.advance(failed: output.failed)
                        }
                    }
                }
            }
        }
        return slots.outputs
    }

    /// One input's record, or its error record: parsed, turned into the command's arguments,
    /// parsed and validated as on the command line, then computed by the command's own code.
    func compute(_ item: Item) -> Output {
        var idJSON: String?
        do {
            guard case .bytes(let bytes) = item.content else {
                throw BatchLineError(idJSON: nil, message: "longer than \(InputLimits.describe(bytes: InputLimits.batchLineBytes))")
            }
            let input = try BatchInput.parse(bytes, index: item.index, line: item.line, folder: folder)
            idJSON = input.idJSON
            let arguments = commandOptions + (try kind.type.inputArguments(input)) + input.arguments
            let command: any BatchableCommand
            do {
                command = try kind.type.parse(arguments)
            } catch {
                let unknown = UnknownOptionProbe.message(in: [kind.rawValue] + arguments)
                throw BatchLineError(idJSON: input.idJSON, message: unknown ?? kind.type.message(for: error))
            }
            let result = try command.batchResult(loaded, input: input)
            let picture = try pictures.flatMap { try draw(result, input: input, into: $0) }
            return Output(data: Self.record(index: item.index, idJSON: input.idJSON, picture: picture, json: result.json),
                          failed: false)
        } catch let error as BatchLineError {
            return Self.failure(index: item.index, idJSON: error.idJSON ?? idJSON, message: "line \(item.line)\(error.column.map { ", column \($0)" } ?? ""): " + error.message)
        } catch {
            return Self.failure(index: item.index, idJSON: idJSON, message: "line \(item.line): " + UserMessage.line(for: error))
        }
    }

    /// Draws the result's picture as `folder/INDEX-ID.png` (the id as the record writes it: its
    /// letters, digits, `-`, `_` and `+` — of `1e+20`, and of any text id, so `"a+b"` gives `a+b` —
    /// others as `-`, at most 80 characters; all or nothing);
    /// its path, or nil when the command draws none.
    private func draw(_ result: BatchResult, input: BatchInput, into folder: URL) throws -> String? {
        guard let figure = try result.figure() else { return nil }
        let safe = String(input.idText.prefix(80).map { $0.isLetter || $0.isNumber || "-_+".contains($0) ? $0 : "-" })
        let url = folder.appendingPathComponent("\(input.index)-\(safe).png")
        let output = OutputTransaction()
        try output.render(figure, to: url, option: "--pictures")
        try output.commit()
        return url.path
    }

    /// `{"id":…,"index":…,` (and `"picture":…,` when one was drawn) followed by the command's
    /// record without its opening brace, on one line.
    static func record(index: Int, idJSON: String, picture: String? = nil, json: Data) -> Data {
        var line = Data("{\"id\":\(idJSON),\"index\":\(index)".utf8)
        if let picture, let text = JSONText.fragment(picture) {
            line.append(contentsOf: Data(",\"picture\":\(text)".utf8))
        }
        let body = JSONText.compact(json)
        let rest = body.dropFirst()                                    // after "{"
        if rest.first != UInt8(ascii: "}") { line.append(UInt8(ascii: ",")) }
        line.append(contentsOf: rest)
        return line
    }

    /// `{"id":…,"index":…,"error":"…"}`.
    static func failure(index: Int, idJSON: String?, message: String) -> Output {
        let text = JSONText.fragment(message) ?? "\"error\""
        return Output(data: Data("{\"id\":\(idJSON ?? "null"),\"index\":\(index),\"error\":\(text)}".utf8), failed: true)
    }

    /// Work handed out one index at a time, results kept by index.
    private final class Slots: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private var results: [Output?]

        init(count: Int) { results = Array(repeating: nil, count: count) }

        func take() -> Int? {
            lock.withLock {
                guard next < results.count else { return nil }
                defer { next += 1 }
                return next
            }
        }

        func put(_ output: Output, at i: Int) { lock.withLock { results[i] = output } }

        var outputs: [Output] { lock.withLock { results.map { $0! } } }
    }
}

/// JSON text helpers.
enum JSONText {
    /// One JSON value (a string, a number, an object…) as compact JSON text, slashes unescaped;
    /// nil when it cannot be written.
    static func fragment(_ value: Any) -> String? {
        (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes]))
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// `json` without the whitespace outside strings (pretty-printed JSON on one line; numbers
    /// and strings keep their exact text).
    static func compact(_ json: Data) -> Data {
        var lexer = JSONLexer([UInt8](json))
        var out = Data(capacity: json.count)
        while case let token = lexer.next(), token.kind != .end { out.append(contentsOf: lexer.bytes[token.range]) }
        return out
    }
}
