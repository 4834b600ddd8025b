import Foundation
import GlassboxModelIO
import GlassboxTensor

/// Strict weight access for one checkpoint: every tensor read is checked against the shape the
/// config implies, and `finish` fails on any tensor that was never read (unless ignorable).
struct WeightReader {
    let checkpoint: Checkpoint
    let directory: String
    /// Prefix stripped from checkpoint names (`transformer.`, `bert.`), detected by the loader.
    let prefix: String
    private(set) var used: Set<String> = []

    init(checkpoint: Checkpoint, directory: URL, prefix: String = "") {
        self.checkpoint = checkpoint
        self.directory = directory.path
        self.prefix = prefix
    }

    /// The first of `names` (alternatives, e.g. `LayerNorm.weight` / `LayerNorm.gamma`) present in
    /// the checkpoint, prefixed; `nil` if none is.
    func resolve(_ names: [String], prefixed: Bool = true) -> String? {
        names.map { prefixed ? prefix + $0 : $0 }.first { checkpoint.contains($0) }
    }

    /// A required tensor of exactly `shape`.
    mutating func tensor(_ names: String..., shape: [Int], prefixed: Bool = true) throws -> Tensor {
        guard let name = resolve(names, prefixed: prefixed) else {
            throw LoadError.missingTensor(name: (prefixed ? prefix : "") + names[0], directory: directory)
        }
        return try read(name, shape: shape)
    }

    /// An optional tensor; when present it must have exactly `shape`.
    mutating func optionalTensor(_ names: String..., shape: [Int], prefixed: Bool = true) throws -> Tensor? {
        guard let name = resolve(names, prefixed: prefixed) else { return nil }
        return try read(name, shape: shape)
    }

    /// A required matrix of exactly `shape` (rank 2), kept in the checkpoint's dtype and read in
    /// place from the file (``Checkpoint/matrix(_:)``): what linear layers and embedding tables load.
    mutating func matrix(_ names: String..., shape: [Int], prefixed: Bool = true) throws -> WeightMatrix {
        guard let name = resolve(names, prefixed: prefixed) else {
            throw LoadError.missingTensor(name: (prefixed ? prefix : "") + names[0], directory: directory)
        }
        try check(name, shape: shape)
        return try checkpoint.matrix(name)
    }

    /// An optional matrix; when present it must have exactly `shape` (see ``matrix(_:shape:prefixed:)``).
    mutating func optionalMatrix(_ names: String..., shape: [Int], prefixed: Bool = true) throws -> WeightMatrix? {
        guard let name = resolve(names, prefixed: prefixed) else { return nil }
        try check(name, shape: shape)
        return try checkpoint.matrix(name)
    }

    /// Marks a present tensor as consumed without reading it (e.g. a tied copy).
    mutating func markUsed(_ name: String) {
        if checkpoint.contains(name) { used.insert(name) }
    }

    private mutating func read(_ name: String, shape: [Int]) throws -> Tensor {
        try check(name, shape: shape)
        return try checkpoint.tensor(name)
    }

    /// Checks `name`'s stored shape against `shape` and its dtype (a floating-point one:
    /// ``LoadError/nonFloatingWeight(name:dtype:directory:)``), and marks it used.
    private mutating func check(_ name: String, shape: [Int]) throws {
        if let entry = checkpoint.entry(name), entry.shape != shape {
            throw LoadError.shapeMismatch(name: name, expected: shape, actual: entry.shape, directory: directory)
        }
        if let entry = checkpoint.entry(name), !entry.dtype.isFloatingPoint {
            throw LoadError.nonFloatingWeight(name: name, dtype: entry.dtype, directory: directory)
        }
        used.insert(name)
    }

    /// Throws `unexpectedTensors` for every tensor not read whose name matches none of
    /// `ignorable` (regular expressions over the full name, for known unused buffers).
    func finish(ignorable: [String]) throws {
        let patterns = ignorable.compactMap { try? NSRegularExpression(pattern: "^(?:\($0))$") }
        let leftover = checkpoint.tensorNames.subtracting(used).filter { name in
            let range = NSRange(name.startIndex..., in: name)
            return !patterns.contains { $0.firstMatch(in: name, range: range) != nil }
        }
        if !leftover.isEmpty {
            throw LoadError.unexpectedTensors(names: leftover.sorted(), directory: directory)
        }
    }
}

extension WeightReader {
    /// An `nn.Linear` stored `[out, in]`: `name.weight [outputs, inputs]` and, with `bias`,
    /// `name.bias [outputs]`.
    mutating func outInLinear(_ name: String, _ inputs: Int, _ outputs: Int, bias: Bool) throws -> Linear {
        Linear(weight: try matrix(name + ".weight", shape: [outputs, inputs]), layout: .outIn,
               bias: bias ? try tensor(name + ".bias", shape: [outputs]) : nil)
    }

    /// The LM head of a decoder: the token embeddings `embed [V, d]` when tied (a stored
    /// `lm_head.weight` copy is consumed), else the unprefixed `lm_head.weight [V, d]`. `names`:
    /// the head's full names where a checkpoint layout has others (the first present is read, the
    /// first is named when none is: ``LoadError/missingOutputLayer(name:directory:)``).
    mutating func languageModelHead(tied: Bool, embed: WeightMatrix, names: [String] = ["lm_head.weight"]) throws -> Linear {
        if tied {
            names.forEach { markUsed($0) }
            return Linear(weight: embed, layout: .outIn, bias: nil)
        }
        guard let name = resolve(names, prefixed: false) else {
            throw LoadError.missingOutputLayer(name: names[0], directory: directory)
        }
        return Linear(weight: try matrix(name, shape: embed.shape, prefixed: false), layout: .outIn, bias: nil)
    }
}
