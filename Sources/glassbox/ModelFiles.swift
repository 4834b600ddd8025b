import Foundation
import Glassbox

/// The files of the model a run loaded, so that no output of the run replaces one of them
/// (`evaluate --save-json MODEL/model.safetensors` replaced the weights with JSON; `batch --out
/// MODEL/config.json --overwrite` truncated the config). `ModelOptions.load` records them;
/// `OutputTransaction.checkDestination` (every picture, page and JSON file, before anything is
/// drawn and again at `commit()`), `PictureOutput.url` and `BatchOutputFile` refuse them.
/// Files are compared as `SameFile` compares them: resolved paths, or device and inode (symbolic
/// links, hard links, a Hugging Face cache's blobs).
enum ModelFiles {
    /// What the loader reads in a model folder, besides every `.safetensors` file and the shards
    /// the index names: the config, the index, the tokenizer's files, the image preprocessor's
    /// and the generation config.
    static let names: Set<String> = [
        "config.json", Checkpoint.indexFileName, "generation_config.json", "preprocessor_config.json",
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
        "vocab.json", "merges.txt", "vocab.txt", "tokenizer.model", "spiece.model", "sentencepiece.bpe.model",
    ]

    private static let lock = NSLock()
    /// Paths of the loaded model's files (empty until a model is loaded).
    nonisolated(unsafe) private static var files: [String] = []

    /// Records the files of the model loaded from `directory` (those of `names` present, every
    /// `.safetensors` file, and every shard its index names).
    static func record(directory: URL) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var found = Set(entries.filter { names.contains($0) || $0.hasSuffix(".safetensors") })
        let index = directory.appendingPathComponent(Checkpoint.indexFileName)
        if let data = try? Data(contentsOf: index),
           let map = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["weight_map"] as? [String: Any] {
            found.formUnion(map.values.compactMap { $0 as? String })
        }
        let paths = found.sorted().map { directory.appendingPathComponent($0).path }
        lock.withLock { files = paths }
    }

    /// Throws bad usage (exit 2) when the output `output` (named by `option`) is a file of the
    /// loaded model, or an input file of the run (`CommandInputs`).
    static func refuse(output: String, option: String = "--out") throws {
        let current = lock.withLock { files }
        guard let file = current.first(where: { SameFile.check($0, output) }) else {
            return try CommandInputs.refuse(output: output, option: option)
        }
        throw UsageMistake("\(option) \(output) is the same file as \(file), a file of the model; "
                           + "writing it would destroy the model: choose another \(option)")
    }
}
