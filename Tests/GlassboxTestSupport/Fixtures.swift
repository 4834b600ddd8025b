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
