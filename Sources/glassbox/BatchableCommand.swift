import ArgumentParser
import Foundation
import Glassbox

/// A command `glassbox batch` runs once per input line, with the model loaded once: the line's
/// input and overrides become the command's own arguments, the command is parsed and validated as
/// on the command line, and the same code its `run()` uses computes the record its `--json`
/// prints (docs/batch.md). There is no second code path.
protocol BatchableCommand: ParsableCommand {
    /// The arguments giving this command `input`'s source and `"target"` (before the line's
    /// overrides). Throws a ``BatchLineError`` for a line the command cannot take.
    static func inputArguments(_ input: BatchInput) throws -> [String]
    /// The JSON text `--json` prints for this command's input, computed on `loaded`, and how to
    /// draw the picture the command draws (for `batch --pictures`).
    func batchResult(_ loaded: LoadedModel, input: BatchInput) throws -> BatchResult
}

/// One input's result in a batch.
struct BatchResult {
    /// The command's `--json` text.
    let json: Data
    /// The command's picture of it (nil for commands without one, `predict`), drawn on demand.
    let figure: () throws -> (any Figure)?
}

extension BatchableCommand {
    /// `--prompt TEXT`, `--ids 1,2,3` or `--image FILE`: the input options every single-input
    /// command shares (InputOptions).
    static func sourceArguments(_ input: BatchInput) throws -> [String] {
        switch input.source {
        case .text(let text): ["--prompt", text]
        case .ids(let ids): ["--ids", ids.map(String.init).joined(separator: ",")]
        case .image(let path): ["--image", path]
        case .none: throw BatchLineError(idJSON: input.idJSON, message: "no input: give \"text\", \"ids\" or \"image\"")
        }
    }

    /// `"target"` as `--NAME TEXT` or `--NAME-id N`; a line error when the command has no such option.
    static func targetArguments(_ input: BatchInput, text: String?, id: String?) throws -> [String] {
        if input.target != nil && text == nil && id == nil {
            throw BatchLineError(idJSON: input.idJSON, message: "`\(configuration.commandName ?? "")` has no \"target\"")
        }
        switch input.target {
        case nil: return []
        case let value as String:
            guard let text else { throw noTarget(input, "a token id (an integer)") }
            return ["--" + text, value]
        case let value as Int:
            guard let id else { throw noTarget(input, "a text") }
            return ["--" + id, String(value)]
        default: return []
        }
    }

    private static func noTarget(_ input: BatchInput, _ kind: String) -> BatchLineError {
        BatchLineError(idJSON: input.idJSON, message: "`\(configuration.commandName ?? "")` takes \"target\" as \(kind) only")
    }

    /// A JSON object as the compact JSON text of the record (sorted keys, as `--json` prints it).
    static func data(_ object: [String: Any]) throws -> Data {
        try JSONOutput.check(object)
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }
}

extension ExplainCommand: BatchableCommand {
    static func inputArguments(_ input: BatchInput) throws -> [String] {
        try sourceArguments(input) + targetArguments(input, text: "target", id: "target-id")
    }

    /// With `--pictures` (always PNGs) each run's gate counts the picture too, as `explain` does
    /// for a PNG (``pngPictureBound``), once per worker.
    func batchResult(_ loaded: LoadedModel, input: BatchInput) throws -> BatchResult {
        var memory = BatchMode.memory
        if BatchMode.drawsPictures { memory?.picture = pngPictureBound; memory?.batchPictures = true }
        let record = try withProductPrecision(precision.value) { try explanation(loaded, memory: memory) }
        return BatchResult(json: try JSONOutput.data(record)) { try record.figure(scoreLimit: colorScale.scoreLimit, top: colorScale.top) }
    }
}

extension PredictCommand: BatchableCommand {
    static func inputArguments(_ input: BatchInput) throws -> [String] {
        try sourceArguments(input) + targetArguments(input, text: nil, id: nil)
    }

    func batchResult(_ loaded: LoadedModel, input: BatchInput) throws -> BatchResult {
        BatchResult(json: try Self.data(try withProductPrecision(precision.value) { try predict(loaded, memory: BatchMode.memory) }.object)) { nil }
    }
}

extension LensCommand: BatchableCommand {
    static func inputArguments(_ input: BatchInput) throws -> [String] {
        try sourceArguments(input) + targetArguments(input, text: nil, id: "target-id")
    }

    func batchResult(_ loaded: LoadedModel, input: BatchInput) throws -> BatchResult {
        let object = try lens(loaded, memory: BatchMode.memory).object
        return BatchResult(json: try Self.data(object)) { try ResultFigures.lens(object) }
    }
}

extension PatchCommand: BatchableCommand {
    /// Patching takes its two inputs as overrides (`"clean"` and `"corrupted"`, or
    /// `"clean_ids"` and `"corrupted_ids"`) and `"target"` as the answer.
    static func inputArguments(_ input: BatchInput) throws -> [String] {
        guard case .none = input.source else {
            throw BatchLineError(idJSON: input.idJSON,
                                 message: "`patch` takes \"clean\" and \"corrupted\" (or \"clean_ids\" and \"corrupted_ids\"), not \"text\", \"ids\" or \"image\"")
        }
        return try targetArguments(input, text: "answer", id: "answer-id")
    }

    func batchResult(_ loaded: LoadedModel, input: BatchInput) throws -> BatchResult {
        let object = try patch(loaded, memory: BatchMode.memory).object
        return BatchResult(json: try Self.data(object)) { try PatchFigures.figure(object) }
    }
}

extension EvaluateCommand: BatchableCommand {
    /// The positional argument a batch line stands in with: the input itself is handed over
    /// separately, this only satisfies the command's "one input" rule.
    static let batchPlaceholder = "(batch input)"

    /// The input itself is handed to `evaluate(_:sources:)` (below); the argument only satisfies
    /// the command's "one input" rule.
    static func inputArguments(_ input: BatchInput) throws -> [String] {
        if case .none = input.source { _ = try sourceArguments(input) }
        return [batchPlaceholder]
    }

    func batchResult(_ loaded: LoadedModel, input: BatchInput) throws -> BatchResult {
        // Origins as the single command writes them (docs/batch.md: a line's record is the
        // command's --json): "the prompt" for a text, the file for an image; errors already
        // start with "line N:".
        var source = EvaluationSource(origin: "the prompt")
        switch input.source {
        case .text(let text): source.text = text
        case .ids(let ids): source.ids = ids; source.origin = "the token ids"
        case .image(let path): source.image = URL(fileURLWithPath: path); source.origin = path
        case .none: break
        }
        switch input.target {
        case let text as String: source.targetText = text
        case let id as Int: source.targetID = id
        default: break
        }
        let object = try evaluate(loaded, sources: [source], memory: BatchMode.memory).object
        return BatchResult(json: try Self.data(object)) { try EvaluationFigure.figure(object) }
    }
}
