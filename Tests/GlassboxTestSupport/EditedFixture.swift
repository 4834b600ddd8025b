import Foundation
import Glassbox
import XCTest

extension Fixtures {
    /// A copy of fixture `model` in a temporary folder (removed after `test`), every tensor passed
    /// through `edit` (name, tensor) before being written back as F32: e.g. one NaN in a weight.
    public static func editedCopy(of model: String, test: XCTestCase,
                                  edit: (String, inout Tensor) -> Void) throws -> URL {
        let source = Fixtures.model(model)
        let folder = try test.makeTemporaryFolder("edited-\(model)")
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path) where !file.hasSuffix(".safetensors") {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
        let checkpoint = try Checkpoint(directory: source, allowNonFinite: true)
        let tensors = try checkpoint.tensorNames.sorted().map { name in
            var tensor = try checkpoint.tensor(name)
            edit(name, &tensor)
            return (name, tensor)
        }
        try SafetensorsFile.write(tensors, to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }
}

extension Fixtures {
    /// A copy of fixture `model` in a temporary folder (removed after `test`): every file a
    /// symbolic link to the fixture's, except `file`, which holds `edit` of the fixture's bytes.
    public static func linkedCopy(of model: String, test: XCTestCase, replacing file: String,
                                  edit: (Data) throws -> Data) throws -> URL {
        let source = Fixtures.model(model)
        let folder = try test.makeTemporaryFolder("linked-\(model)")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name != file {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name),
                                                       withDestinationURL: source.appendingPathComponent(name))
        }
        try edit(Data(contentsOf: source.appendingPathComponent(file))).write(to: folder.appendingPathComponent(file))
        return folder
    }
}

extension Fixtures {
    /// linkedCopy(of:test:replacing:edit:) with `file` edited as text by `edit`, which must change
    /// it (a failure of `test` naming the model and file otherwise).
    public static func textEditedCopy(of model: String, test: XCTestCase, file: String = "config.json",
                                      _ edit: (String) -> String) throws -> URL {
        try linkedCopy(of: model, test: test, replacing: file) { data in
            let text = String(decoding: data, as: UTF8.self)
            let edited = edit(text)
            XCTAssertNotEqual(edited, text, "the edit of \(model)'s \(file) changed nothing")
            return Data(edited.utf8)
        }
    }
}

extension Fixtures {
    /// Fixture `name`'s config.json with `edits` applied (a nil value removes the key; NSNull writes
    /// null), as JSON text with sorted keys.
    public static func editedConfigText(_ name: String, _ edits: [String: Any?]) throws -> String {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(configText(name).utf8)) as? [String: Any])
        for (key, value) in edits {
            if let value { object[key] = value } else { object.removeValue(forKey: key) }
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
