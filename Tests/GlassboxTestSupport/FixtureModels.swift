import Foundation
import Glassbox
import XCTest

extension Fixtures {
    /// Fixture `name` (Tests/Fixtures/models/<name>) loaded as a model.
    public static func load(_ name: String) throws -> TransformerModel {
        try TransformerModel.load(directory: model(name))
    }

    /// The text of fixture `name`'s config.json, to edit into a test's own config.
    public static func configText(_ name: String) throws -> String {
        try String(contentsOf: model(name).appendingPathComponent("config.json"), encoding: .utf8)
    }

    /// Fixture `name`'s weights file, model.safetensors.
    public static func weights(_ name: String) -> URL {
        model(name).appendingPathComponent("model.safetensors")
    }

    /// A temporary folder `label` (removed after `test`) holding `config` (JSON text) as
    /// config.json and a copy of the safetensors file `weights` as model.safetensors.
    public static func folder(config: String, weights: URL, test: XCTestCase, label: String) throws -> URL {
        let folder = try test.makeTemporaryFolder(label)
        try Data(config.utf8).write(to: folder.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: weights, to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }
}
