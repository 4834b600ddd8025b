import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Layer and expert counts in config.json are checked against the checkpoint's tensor names
/// before anything is sized by them: 2³¹−1 layers or 10⁸ experts is a typed error naming the key
/// and both numbers, not an allocation of tens of gigabytes.
final class HostileCountTests: XCTestCase {
    /// `model`'s folder with `key` set to `value` (raw JSON) in a copy of its config.json.
    private func model(_ model: String, setting key: String, to value: String) throws -> URL {
        let source = Fixtures.model(model)
        let folder = try makeTemporaryFolder("counts")
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path) where file != "config.json" {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(file),
                                                       withDestinationURL: source.appendingPathComponent(file))
        }
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        XCTAssertNotNil(config[key], "\(model) has no \(key) to change")
        config[key] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        return folder
    }

    private func assertCountError(_ model: String, _ key: String, _ value: String, mentions: [String],
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        let folder = try self.model(model, setting: key, to: value)
        XCTAssertThrowsError(try TransformerModel.load(directory: folder), file: file, line: line) { error in
            guard case LoadError.invalidConfig(_, let named, _) = error else {
                return XCTFail("\(model) \(key)=\(value): \(error)", file: file, line: line)
            }
            XCTAssertEqual(named, key, file: file, line: line)
            for text in mentions {
                XCTAssertTrue(error.localizedDescription.contains(text), "\(text) not in \(error.localizedDescription)",
                              file: file, line: line)
            }
        }
    }

    /// Only the layer count the family reads is checked: the `num_hidden_layers` alias wins over
    /// GPT-2's and GPT-J's `n_layer` (transformers' attribute_map sets it last), and a spelling the family
    /// never reads (`n_layer` in Falcon's or GPT-Neo's config, `num_layers` in GPT-J's) changes
    /// nothing, in transformers as here. Each loads with the checkpoint's two layers.
    func testOnlyTheLayerCountTheFamilyReadsIsChecked() throws {
        let cases: [(String, [String: Any])] = [
            ("gptj-tiny", ["num_hidden_layers": 2, "n_layer": 5]),
            ("gpt2-tiny", ["num_hidden_layers": 2, "n_layer": 5]),
            ("gptj-tiny", ["num_layers": 4]),
            ("falcon-mq", ["n_layer": 4]),
            ("gptneo-tiny", ["n_layer": 4]),
        ]
        for (name, edits) in cases {
            let source = Fixtures.model(name)
            let folder = try makeTemporaryFolder("counts")
            for file in try FileManager.default.contentsOfDirectory(atPath: source.path) where file != "config.json" {
                try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(file),
                                                           withDestinationURL: source.appendingPathComponent(file))
            }
            var config = try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any])
            config.merge(edits) { $1 }
            try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
            XCTAssertEqual(try TransformerModel.load(directory: folder).architecture.layers, 2, "\(name) \(edits)")
        }
    }

    func testHugeLayerCountsAreRefusedBeforeAllocating() throws {
        let cases = [("llama-gqa", "num_hidden_layers", "2"), ("gpt2-tiny", "n_layer", "2"), ("distilbert-mlm", "n_layers", "2"),
                     ("bert-tiny-mlm", "num_hidden_layers", "2"), ("qwen2-swa", "num_hidden_layers", "2"),
                     ("mistral-swa", "num_hidden_layers", "2"), ("qwen3-qknorm", "num_hidden_layers", "2"),
                     ("phi3-longrope", "num_hidden_layers", "2"), ("neox-parallel", "num_hidden_layers", "2"),
                     ("gemma-tiny", "num_hidden_layers", "2"), ("olmo2-postnorm", "num_hidden_layers", "2"),
                     ("mixtral-moe", "num_hidden_layers", "2"), ("vit-tiny", "num_hidden_layers", "2")]
        for (name, key, held) in cases {
            try assertCountError(name, key, "2147483647", mentions: ["2147483647", "holds \(held) layer"])
            try assertCountError(name, key, "100000000", mentions: ["100000000"])
        }
        // One layer more than the checkpoint holds is named the same way.
        try assertCountError("gpt2-odd", "n_layer", "4", mentions: ["is 4", "holds 3 layer"])
    }

    /// A count key spelled with an escape (`"n\u005flayer"`, which JSON readers take as `n_layer`)
    /// is checked like the plain one.
    func testCountsAreCheckedUnderAnEscapedKey() throws {
        let folder = try model("gpt2-tiny", setting: "n_layer", to: "3")
        let url = folder.appendingPathComponent("config.json")
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(text.contains("\"n_layer\":3"), text)
        try Data(text.replacingOccurrences(of: "\"n_layer\":3", with: #""n\u005flayer":3"#).utf8).write(to: url)
        XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
            XCTAssertTrue(error.localizedDescription.hasSuffix("'n_layer' is 3, but the checkpoint holds 2 layer(s) (indices 0..<2)"),
                          error.localizedDescription)
        }
    }

    /// `model`'s folder with `key` set to `value` and a one-element decoy tensor `decoy` added in a
    /// second shard (a shard index maps the original tensors to the first).
    private func model(_ model: String, setting key: String, to value: String, decoy: String) throws -> URL {
        let folder = try self.model(model, setting: key, to: value)
        let weights = folder.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: weights)
        try FileManager.default.moveItem(at: weights, to: folder.appendingPathComponent("main.safetensors"))
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + headerLength))) as! [String: Any]
        var map = Dictionary(uniqueKeysWithValues: header.keys.filter { $0 != "__metadata__" }.map { ($0, "main.safetensors") })
        map[decoy] = "decoy.safetensors"
        try SafetensorsFile.write([(decoy, Tensor(shape: [1], storage: [0]))], to: folder.appendingPathComponent("decoy.safetensors"))
        try JSONSerialization.data(withJSONObject: ["weight_map": map])
            .write(to: folder.appendingPathComponent("model.safetensors.index.json"))
        return folder
    }

    /// One unused tensor with a huge index does not let a huge count through: every index below
    /// the count must be present (before, 10⁸ experts or 10⁹ layers passed and the loader died
    /// allocating 40 GB).
    func testADecoyTensorWithAHugeIndexDoesNotLetACountThrough() throws {
        let cases = [("gpt2-tiny", "n_layer", "3", "transformer.h.3.attn.c_attn.weight", "holds 2 layer(s) (indices 0..<2)"),
                     ("mixtral-moe", "num_local_experts", "100000000", "model.layers.0.block_sparse_moe.experts.99999999.w1.weight",
                      "holds 5 expert(s) per layer (indices 0..<5)"),
                     ("llama-gqa", "num_hidden_layers", "1000000000", "model.layers.999999999.x", "holds 2 layer(s) (indices 0..<2)")]
        for (name, key, value, decoy, held) in cases {
            let folder = try model(name, setting: key, to: value, decoy: decoy)
            XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
                guard case LoadError.invalidConfig(_, let named, _) = error else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(named, key)
                XCTAssertTrue(error.localizedDescription.hasSuffix("'\(key)' is \(value), but the checkpoint \(held)"),
                              error.localizedDescription)
            }
        }
    }

    func testHugeExpertCountsAreRefusedBeforeAllocating() throws {
        try assertCountError("mixtral-moe", "num_local_experts", "1e8", mentions: ["100000000", "holds 5 expert"])
        try assertCountError("mixtral-moe", "num_local_experts", "2147483647", mentions: ["2147483647"])
    }
}
