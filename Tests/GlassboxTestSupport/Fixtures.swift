import Foundation
import Glassbox

/// Locations of the committed fixtures and the fetched real checkpoints.
public enum Fixtures {
    /// The repository root (two folders above this file's folder).
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let models = root.appendingPathComponent("Tests/Fixtures/models")
    public static let goldens = root.appendingPathComponent("Tests/Fixtures/goldens")

    public static func model(_ name: String) -> URL { models.appendingPathComponent(name) }

    /// The golden cases of a model: `(case name, file)` sorted by name. Throws when there are none,
    /// so that a loop over them cannot pass by running zero times.
    public static func goldenCases(_ model: String) throws -> [(name: String, file: URL)] {
        let folder = goldens.appendingPathComponent(model)
        let cases = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".safetensors") }.sorted()
            .map { (String($0.dropLast(".safetensors".count)), folder.appendingPathComponent($0)) }
        guard !cases.isEmpty else { throw MissingFixture(description: "no golden cases in Tests/Fixtures/goldens/\(model)") }
        return cases
    }

    /// The golden case `model/name`; throws naming the file when it is missing.
    public static func golden(_ model: String, _ name: String) throws -> Golden {
        guard let file = try goldenCases(model).first(where: { $0.name == name })?.file else {
            throw MissingFixture(description: "no golden case Tests/Fixtures/goldens/\(model)/\(name).safetensors")
        }
        return try Golden(url: file)
    }

    /// Real checkpoints fetched by scripts/fetch-minilm.sh into the git-ignored cache.
    public static let cachedModels = root.appendingPathComponent(".cache/models")

    /// True when tests that need fetched real checkpoints must run (CI sets GLASSBOX_REQUIRE_REAL_MODELS=1).
    public static var realModelsRequired: Bool {
        ProcessInfo.processInfo.environment["GLASSBOX_REQUIRE_REAL_MODELS"] == "1"
    }
}

/// A committed fixture a test needs is missing (the message names it).
public struct MissingFixture: Error, CustomStringConvertible {
    public let description: String
}

/// One golden case: the tensors the reference produced at every hook point, and its input.
public struct Golden {
    public let file: SafetensorsFile
    public let inputIDs: [Int]
    /// Hook names in the reference's forward order.
    public let hookOrder: [String]

    public init(url: URL) throws {
        file = try SafetensorsFile(url: url)
        let ids = file.metadata["input_ids"] ?? "[]"
        inputIDs = (try JSONSerialization.jsonObject(with: Data(ids.utf8)) as? [Int]) ?? []
        let hooks = file.metadata["hooks"] ?? "[]"
        hookOrder = (try JSONSerialization.jsonObject(with: Data(hooks.utf8)) as? [String]) ?? []
    }

    public func tensor(_ name: String) throws -> Tensor { try file.tensor(name) }
}

/// One TransformerLens golden case (`Tests/Fixtures/transformerlens/<model>/<case>.safetensors`,
/// written by scripts/fixtures/generate_transformerlens.py): every hook point TransformerLens fired,
/// its logits, logit lens and direct logit attribution on a golden input. A missing file, tensor or
/// metadata key is an error that names it.
public struct TransformerLensGolden {
    public static let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/transformerlens")
    /// The models the generator covers: every GPT-2, GPT-Neo, GPT-J and GPT-NeoX fixture, llama-gqa
    /// and phi-tiny (not phi-qknorm: TransformerLens 2.18's Phi has no qk_layernorm), opt-tiny,
    /// bloom-tiny, gemma-tiny, gemma2-softcap, llama3-rope, mistral-swa, mixtral-moe and qwen2-swa
    /// (the generator's MODELS comment says which fixtures TransformerLens cannot represent). Sorted.
    public static let models = ["bloom-tiny", "gemma-tiny", "gemma2-softcap", "gpt2-copy", "gpt2-long", "gpt2-odd",
                                "gpt2-sharded", "gpt2-tiny", "gptj-tiny", "gptj-whole", "gptneo-local", "gptneo-tiny",
                                "llama-gqa", "llama3-rope", "mistral-swa", "mixtral-moe", "neox-parallel", "neox-sequential",
                                "opt-tiny", "phi-tiny", "qwen2-swa"]

    public let url: URL
    public let file: SafetensorsFile
    /// The token ids TransformerLens ran (the golden input of the same case).
    public let inputIDs: [Int]
    /// The hook names TransformerLens fired, in its forward order.
    public let hooks: [String]

    public init(url: URL) throws {
        self.url = url
        file = try SafetensorsFile(url: url)
        inputIDs = try Self.decode(file, url, "input_ids")
        hooks = try Self.decode(file, url, "hooks")
    }

    /// The cases of one model, sorted by name; none is an error.
    public static func cases(_ model: String) throws -> [(name: String, golden: TransformerLensGolden)] {
        let dir = folder.appendingPathComponent(model)
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0.hasSuffix(".safetensors") }.sorted()
        guard !files.isEmpty else { throw GoldenError("no TransformerLens goldens in \(dir.path)") }
        return try files.map { (String($0.dropLast(".safetensors".count)), try TransformerLensGolden(url: dir.appendingPathComponent($0))) }
    }

    /// Tensor `key`; a missing one throws naming the key and the file.
    public func tensor(_ key: String) throws -> Tensor {
        guard file.entry(key) != nil else { throw GoldenError("\(url.lastPathComponent) (\(url.deletingLastPathComponent().lastPathComponent)): no tensor '\(key)'") }
        return try file.tensor(key)
    }

    /// Metadata `key` decoded from JSON.
    public func metadata<T>(_ key: String, as type: T.Type = T.self) throws -> T {
        try Self.decode(file, url, key)
    }

    private static func decode<T>(_ file: SafetensorsFile, _ url: URL, _ key: String) throws -> T {
        guard let text = file.metadata[key] else { throw GoldenError("\(url.path): no metadata '\(key)'") }
        guard let value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) as? T else {
            throw GoldenError("\(url.path): metadata '\(key)' is not a \(T.self): \(text.prefix(80))")
        }
        return value
    }
}

/// A fixture that is missing or malformed, with a message naming what.
public struct GoldenError: LocalizedError, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var errorDescription: String? { message }
    public var description: String { message }
}
