import Foundation
import GlassboxFiles
import GlassboxTensor

/// All weights of a model folder, from one safetensors file or a sharded set.
///
/// `init(directory:)` looks for, in order:
/// 1. `model.safetensors`;
/// 2. `model.safetensors.index.json` (`{"metadata": …, "weight_map": {tensor: shard file}}`):
///    every shard is opened once and every indexed tensor must be in its shard; tensors a shard
///    holds beyond the index are not exposed, as in `transformers`.
///
/// A folder with only PyTorch pickles (`*.bin`, `*.pt`, `*.pth`) is an error explaining how to
/// convert them; a folder with no weights is an error listing what it holds. All files are
/// validated when opened (see ``SafetensorsFile``).
public struct Checkpoint: Sendable {
    /// File name of an unsharded checkpoint, `model.safetensors`.
    public static let singleFileName = "model.safetensors"
    /// File name of a sharded checkpoint's index, `model.safetensors.index.json`.
    public static let indexFileName = "model.safetensors.index.json"

    /// The model folder the weights were read from.
    public let directory: URL
    /// The safetensors files opened, sorted by name (the index file itself is not included).
    public let files: [URL]

    /// Whether tensors holding NaN or ±Inf are returned (and listed in ``nonFiniteTensors``)
    /// instead of being an error.
    public let allowsNonFinite: Bool
    /// Whether each matrix ``matrix(_:)`` returns is checked for NaN and ±Inf: at once with
    /// `allowNonFinite`, else deferred to the products (``deferredChecks``); without the check a
    /// matrix is only mapped, and nothing is read until a product touches it.
    public let scansMatrices: Bool

    private let shards: [SafetensorsFile]
    /// Tensor name → index into `shards`.
    private let location: [String: Int]
    private let findings = NonFiniteFindings()
    /// The checks deferred by a strict checkpoint that scans matrices (nil otherwise): see
    /// ``matrix(_:)``.
    public let deferredChecks: DeferredWeightChecks?

    /// Opens and validates the weights in `directory` (see the type's documentation for the
    /// files looked for). Throws `ModelIOError` for missing, PyTorch-only, malformed or inconsistent
    /// files.
    ///
    /// `allowNonFinite`: ``tensor(_:)`` checks every tensor it reads for NaN and ±Inf (one
    /// vectorised pass); by default such a tensor is ``ModelIOError/nonFiniteValues(file:tensor:count:total:)``,
    /// with `allowNonFinite` it is returned and listed in ``nonFiniteTensors``.
    ///
    /// `scanMatrices: false` skips that pass for ``matrix(_:)`` (not for ``tensor(_:)``): opening
    /// then reads only the headers and the small tensors, e.g. for describing a model.
    public init(directory: URL, allowNonFinite: Bool = false, scanMatrices: Bool = true) throws {
        let manager = FileManager.default
        self.directory = directory
        self.allowsNonFinite = allowNonFinite
        self.scansMatrices = scanMatrices
        deferredChecks = scanMatrices && !allowNonFinite ? DeferredWeightChecks() : nil
        let single = directory.appendingPathComponent(Self.singleFileName)
        let index = directory.appendingPathComponent(Self.indexFileName)
        if manager.fileExists(atPath: single.path) {
            let file = try SafetensorsFile(url: single)
            shards = [file]
            files = [single]
            location = Dictionary(uniqueKeysWithValues: file.tensorNames.map { ($0, 0) })
        } else if manager.fileExists(atPath: index.path) {
            let weightMap = try Self.readWeightMap(index)
            let shardNames = Set(weightMap.values).sorted()
            var opened: [SafetensorsFile] = []
            var slot: [String: Int] = [:]
            for shard in shardNames {
                let url = directory.appendingPathComponent(shard)
                guard manager.fileExists(atPath: url.path) else {
                    let tensor = weightMap.filter { $0.value == shard }.keys.min() ?? ""
                    throw ModelIOError.shardNotFound(index: index.path, shard: shard, tensor: tensor)
                }
                slot[shard] = opened.count
                opened.append(try SafetensorsFile(url: url))
            }
            var location: [String: Int] = [:]
            for (tensor, shard) in weightMap.sorted(by: { $0.key < $1.key }) {
                guard let i = slot[shard], opened[i].entry(tensor) != nil else {
                    throw ModelIOError.tensorMissingFromShard(index: index.path, shard: shard, tensor: tensor)
                }
                location[tensor] = i
            }
            shards = opened
            files = opened.map(\.url)
            self.location = location
        } else {
            let contents = ((try? manager.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
            let pickles = contents.filter { name in
                [".bin", ".pt", ".pth"].contains { name.hasSuffix($0) } && !name.hasPrefix(".")
            }
            if !pickles.isEmpty {
                throw ModelIOError.pytorchOnly(directory: directory.path, files: pickles)
            }
            throw ModelIOError.noWeights(directory: directory.path, contents: contents)
        }
    }

    /// All tensor names across all files.
    public var tensorNames: Set<String> { Set(location.keys) }

    /// Whether a tensor called `name` (its full key, e.g. `"transformer.wte.weight"`) is in
    /// the checkpoint.
    public func contains(_ name: String) -> Bool { location[name] != nil }

    /// The validated header entry of `name` (its byte range is relative to its own file's data).
    public func entry(_ name: String) -> TensorEntry? {
        location[name].flatMap { shards[$0].entry(name) }
    }

    /// The file holding tensor `name`.
    public func file(containing name: String) -> URL? {
        location[name].map { shards[$0].url }
    }

    /// Tensor `name` as Float32, with the shape stored in its file (see
    /// ``SafetensorsFile/tensor(_:)``); a missing name throws
    /// ``ModelIOError/tensorNotFound(file:tensor:available:similar:)`` naming the folder.
    public func tensor(_ name: String) throws -> Tensor {
        guard let i = location[name] else {
            throw ModelIOError.tensorNotFound(file: directory.path, tensor: name, available: location.count,
                                              similar: similarNames(to: name, in: location.keys))
        }
        let tensor = try shards[i].tensor(name)
        let bad = NonFinite.count(tensor)
        if bad > 0 {
            guard allowsNonFinite else {
                throw ModelIOError.nonFiniteValues(file: shards[i].url.path, tensor: name, count: bad, total: tensor.count)
            }
            findings.record(name, bad)
        }
        return tensor
    }

    /// Tensor `name` as a ``WeightMatrix`` in its file's dtype, read in place from the mapping (see
    /// ``SafetensorsFile/matrix(_:)``), checked for NaN and ±Inf as ``tensor(_:)`` checks (in the
    /// stored format, no conversion). A strict checkpoint defers that check (``deferredChecks``):
    /// the matrix is returned unread, carrying a check the first product over it settles while
    /// converting (docs/methods.md §0.7); with `allowNonFinite` the scan happens here, so the
    /// findings are known at load.
    public func matrix(_ name: String) throws -> WeightMatrix {
        guard let i = location[name] else {
            throw ModelIOError.tensorNotFound(file: directory.path, tensor: name, available: location.count,
                                              similar: similarNames(to: name, in: location.keys))
        }
        let matrix = try shards[i].matrix(name)
        guard scansMatrices else { return matrix }
        if let deferredChecks { return deferredChecks.defer_(matrix, name: name, file: shards[i].url.path) }
        let bad = matrix.nonFiniteCount()
        if bad > 0 {
            guard allowsNonFinite else {
                throw ModelIOError.nonFiniteValues(file: shards[i].url.path, tensor: name, count: bad, total: matrix.count)
            }
            findings.record(name, bad)
        }
        return matrix
    }

    /// Tensors read so far that hold NaN or ±Inf (only with `allowNonFinite`), in reading order:
    /// name and how many such values.
    public var nonFiniteTensors: [(tensor: String, count: Int)] { findings.list }

    /// Reads the index's `weight_map`; validates its shape and that shard names stay in the folder.
    private static func readWeightMap(_ index: URL) throws -> [String: String] {
        let path = index.path
        let data = try InputFile.readPythonJSON(index, limit: InputLimits.configFileBytes)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw ModelIOError.malformedIndex(file: path, detail: "not valid JSON\(LastKeyWins.syntaxErrorPlace(data).map { " " + $0 } ?? "")")
        }
        guard let object = json as? [String: Any] else {
            throw ModelIOError.malformedIndex(file: path, detail: "top level is a JSON \(SafetensorsHeader.kind(of: json))")
        }
        guard let mapValue = object["weight_map"] else {
            throw ModelIOError.malformedIndex(file: path, detail: "no 'weight_map'")
        }
        guard let map = mapValue as? [String: Any] else {
            throw ModelIOError.malformedIndex(
                file: path, detail: "'weight_map' is a JSON \(SafetensorsHeader.kind(of: mapValue))")
        }
        var weightMap: [String: String] = [:]
        for (tensor, value) in map {
            guard let shard = value as? String else {
                throw ModelIOError.malformedIndex(
                    file: path, detail: "shard of tensor '\(tensor)' is a JSON \(SafetensorsHeader.kind(of: value))")
            }
            let components = shard.split(separator: "/", omittingEmptySubsequences: false)
            guard !shard.isEmpty, !shard.hasPrefix("/"), !components.contains(where: { $0 == ".." || $0.isEmpty })
            else {
                throw ModelIOError.malformedIndex(
                    file: path, detail: "shard '\(shard)' of tensor '\(tensor)' is not a file name in the folder")
            }
            weightMap[tensor] = shard
        }
        guard !weightMap.isEmpty else {
            throw ModelIOError.malformedIndex(file: path, detail: "'weight_map' is empty")
        }
        return weightMap
    }
}

/// The non-finite tensors a permissive ``Checkpoint`` has returned (reads may come from several
/// threads).
private final class NonFiniteFindings: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(tensor: String, count: Int)] = []

    func record(_ tensor: String, _ count: Int) {
        lock.lock(); defer { lock.unlock() }
        entries.append((tensor, count))
    }

    var list: [(tensor: String, count: Int)] {
        lock.lock(); defer { lock.unlock() }
        return entries
    }
}
