import ArgumentParser
import Foundation
import Glassbox

/// `--model` and `--threads`, shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A model folder (config.json + safetensors), or a Hugging Face id found in the local cache.",
        valueName: "folder-or-id"))
    var model: String?

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Sets the thread count, resolves and loads the model.
    func load() throws -> LoadedModel {
        if let threads { Threading.setThreads(threads) }
        guard let spec = model else { throw CLIError.noModel }
        let directory = try ModelDirectory.resolve(spec)
        let model = try TransformerModel.load(directory: directory.url)
        let vocabulary = try TokenVocabulary.load(directory: directory.url)
        return LoadedModel(spec: spec, directory: directory, model: model, vocabulary: vocabulary)
    }
}

/// A model with what the CLI shows about it.
struct LoadedModel {
    let spec: String
    let directory: ModelDirectory
    let model: TransformerModel
    let vocabulary: TokenVocabulary?

    /// Display text of a token id.
    func text(_ id: Int) -> String { vocabulary?.displayText(id) ?? "<\(id)>" }

    /// The `"model"` object of every JSON result.
    var jsonDescription: [String: Any] {
        let arch = model.architecture
        return ["name": spec, "path": directory.url.path, "architecture": arch.modelType,
                "layers": arch.layers, "dModel": arch.dModel, "heads": arch.heads, "vocabSize": arch.vocabSize]
    }
}

/// The input sequence: `--ids`, or a prompt (positional or `--prompt`).
struct InputOptions: ParsableArguments {
    @Argument(help: "The prompt text (same as --prompt).")
    var text: String?

    @Option(name: .long, help: "The prompt text, tokenized with the model's tokenizer.")
    var prompt: String?

    @Option(name: .long, help: ArgumentHelp("Token ids, comma-separated (no tokenizer).", valueName: "1,2,3"))
    var ids: String?

    func validate() throws {
        let given = [text != nil, prompt != nil, ids != nil].filter { $0 }.count
        if given > 1 { throw ValidationError("give one input: a prompt or --ids, not both") }
        if given == 0 { throw ValidationError("no input: give a prompt or --ids") }
    }

    /// The token ids to run.
    func tokenIDs() throws -> [Int] {
        if let ids { return try Self.parseIDs(ids) }
        throw CLIError.promptUnavailable
    }

    static func parseIDs(_ text: String) throws -> [Int] {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if fields.count == 1 && fields[0].isEmpty { throw CLIError.emptyInput }
        return try fields.map { field in
            guard let id = Int(field) else { throw CLIError.badID(field) }
            return id
        }
    }
}
