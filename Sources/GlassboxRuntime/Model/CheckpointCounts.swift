import Foundation
import GlassboxModelIO

/// Checks the config's layer and expert counts against the tensor names the checkpoint holds,
/// before any loader sizes per-layer or per-expert arrays by them: a hostile
/// `"num_hidden_layers": 2147483647` must be an error, not a 34 GB allocation.
///
/// A layer's index is the first all-digit component of a tensor name (`model.layers.3.…`,
/// `transformer.h.3.…`, `bert.encoder.layer.3.…`); an expert's the component after `experts`
/// (`….experts.5.w1.weight`). Only counts the config states are checked (a default is small), and
/// of the layer counts only the one the family reads (`layerKeysRead`).
enum CheckpointCounts {
    /// Families whose experts are one stacked tensor per layer (GraniteMoE's `GraniteMoeParallelExperts`,
    /// `[E, out, in]`), not `experts.{e}` names: their loader checks `E` against that tensor's shape
    /// before taking any view of it, so the names are not counted here.
    static let stackedExpertTypes: Set<String> = ["granitemoe", "granitemoeshared"]

    /// Config keys that count blocks, in the families' spellings.
    static let layerKeys = ["num_hidden_layers", "n_layer", "n_layers", "num_layers"]

    /// The layer-count keys `modelType`'s config reads, the winning one first: transformers'
    /// `attribute_map` sets the `num_hidden_layers` alias after the family's own key (GPT-2's and
    /// GPT-J's `n_layer`, GPT-Neo's `num_layers`, DistilBERT's `n_layers`), so the alias is the count when both are given. Only the
    /// first one present is checked: a stray spelling the family never reads (`"n_layer": 4` in a
    /// Falcon config) sizes nothing, and transformers ignores it too.
    static func layerKeysRead(modelType: String) -> [String] {
        switch modelType {
        case "gpt2", "gptj", "codegen": ["num_hidden_layers", "n_layer"]
        case "gpt_neo": ["num_hidden_layers", "num_layers"]
        case "distilbert": ["num_hidden_layers", "n_layers"]
        case "albert": ["num_hidden_groups"]       // stored layer groups (albert_layer_groups.g); layers are applications (AlbertConfig)
        default: ["num_hidden_layers"]
        }
    }
    /// Config keys that count experts per layer, checked here before any loader runs. Qwen MoE's
    /// `num_experts` is not among them: its loader checks it after its own decode, where it knows
    /// whether any layer is sparse (``checkExperts(_:key:checkpoint:configFile:)``).
    static let expertKeys = ["num_local_experts"]

    /// Throws `LoadError.invalidConfig` naming the key and both numbers when a stated count exceeds
    /// the number of indices the checkpoint holds without a gap from 0 (layers 0, 1, 2, …): every
    /// index below the count must appear in some tensor name. So a decoy tensor with a huge index
    /// (`model.layers.999999999.x`) cannot stand for the missing ones, and no count passes that is
    /// larger than the checkpoint's number of tensors. A smaller count is left to the loader (its
    /// config checks, then the unused-weights error), which allocates nothing beyond what the
    /// checkpoint holds. `textTensorPrefixes` (a composite checkpoint's text model, as
    /// `language_model.`): only the tensors under them are counted, and the message says so —
    /// a vision tower's `encoder.layers.0` is not a text layer.
    static func check(_ config: ConfigFile, modelType: String, checkpoint: Checkpoint, textTensorPrefixes: [String]? = nil) throws {
        let configFile = config.url
        let stated = { (keys: [String]) in keys.compactMap { key in config.count(key).map { (key, $0) } } }
        let layerCounts = Array(stated(layerKeysRead(modelType: modelType)).prefix(1))
        let expertCounts = stackedExpertTypes.contains(modelType) ? [] : stated(expertKeys)
        guard !layerCounts.isEmpty || !expertCounts.isEmpty else { return }
        var layerIndices = Set<Int>()
        let names = checkpoint.tensorNames.filter { name in textTensorPrefixes?.contains { name.hasPrefix($0) } ?? true }
        for name in names {
            if let index = name.split(separator: ".").first(where: isIndex).flatMap({ Int($0) }) { layerIndices.insert(index) }
        }
        let layers = unbroken(layerIndices)
        for (key, count) in layerCounts where count > layers {
            // Which tensors were counted: every one, or the text model's (none: its weights are missing).
            let held = textTensorPrefixes.map { prefixes in
                let spelled = prefixes.map { $0 + "*" }.joined(separator: " or ")
                return names.isEmpty ? "no text model weights (no tensor named \(spelled))"
                    : "\(layers) layer(s) of the text model (\(spelled), indices 0..<\(layers))"
            } ?? "\(layers) layer(s) (indices 0..<\(layers))"
            throw LoadError.invalidConfig(file: configFile.path, key: config.keyPrefix + key, detail: "is \(count), but the checkpoint holds \(held)")
        }
        for (key, count) in expertCounts {
            try checkExperts(count, key: config.keyPrefix + key, checkpoint: checkpoint, configFile: configFile)
        }
    }

    /// Throws `LoadError.invalidConfig` naming `key` when `count` experts per layer exceed the
    /// indices `….experts.0`, `….experts.1`, … the checkpoint holds without a gap (see
    /// ``check(_:modelType:checkpoint:textTensorPrefixes:)``), before anything is sized by it.
    static func checkExperts(_ count: Int, key: String, checkpoint: Checkpoint, configFile: URL) throws {
        var indices = Set<Int>()
        for name in checkpoint.tensorNames {
            let parts = name.split(separator: ".")
            if let at = parts.firstIndex(of: "experts"), at + 1 < parts.count, isIndex(parts[at + 1]),
               let index = Int(parts[at + 1]) {
                indices.insert(index)
            }
        }
        let experts = unbroken(indices)
        guard count > experts else { return }
        throw LoadError.invalidConfig(file: configFile.path, key: key,
                                      detail: "is \(count), but the checkpoint holds \(experts) expert(s) per layer (indices 0..<\(experts))")
    }

    /// How many indices `0, 1, 2, …` are all in `indices` (the first missing one).
    private static func unbroken(_ indices: Set<Int>) -> Int {
        var count = 0
        while indices.contains(count) { count += 1 }
        return count
    }

    /// Whether a name component is a plain index (digits only, at most 9 of them).
    private static func isIndex(_ part: Substring) -> Bool {
        !part.isEmpty && part.count <= 9 && part.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
