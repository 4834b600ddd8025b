import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `config.json`'s `quantization_config` against what transformers 4.53.3 does with it
/// (Tests/Fixtures/quantization-configs.json, from scripts/fixtures/generate_quantization_configs.py):
/// each case is gpt2-tiny with that one member added. Where transformers quantizes (a method it has a
/// quantizer for, or the bitsandbytes flags) or fails on the value, the load is refused before any
/// weight is read, with an error naming the key (and the method); where transformers skips the
/// quantization (an unknown method: a warning), the model loads and gives exactly the logits of the
/// unedited folder (transformers' own were checked equal in the generator).
final class QuantizationConfigTests: XCTestCase {
    struct Reference: Decodable {
        struct Case: Decodable {
            let name: String
            let outcome: String
            let method: String?
        }
        let cases: [Case]
        let methods: [String]
    }

    /// The case's member, as the generator wrote it (raw JSON, to keep nulls and numbers as written).
    private func members() throws -> [String: Any] {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/quantization-configs.json")
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cases = try XCTUnwrap(object["cases"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: cases.map { ($0["name"] as! String, $0["value"] ?? NSNull()) })
    }

    private func reference() throws -> Reference {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/quantization-configs.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    private func folder(with value: Any) throws -> URL {
        try Fixtures.linkedCopy(of: "gpt2-tiny", test: self, replacing: "config.json") { data in
            var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            config["quantization_config"] = value
            return try JSONSerialization.data(withJSONObject: config, options: [.fragmentsAllowed, .sortedKeys])
        }
    }

    func testEveryCaseAsTransformersReadsIt() throws {
        let reference = try reference()
        let values = try members()
        XCTAssertEqual(reference.cases.count, 24, "the reference's cases")
        XCTAssertEqual(Set(reference.cases.map(\.outcome)), ["quantizes", "skips", "raises"])
        let base = try XCTUnwrap(try TransformerModel.load(directory: Fixtures.model("gpt2-tiny")).forward([1, 2, 3]).logits)
        for item in reference.cases {
            let folder = try folder(with: try XCTUnwrap(values[item.name], item.name))
            switch item.outcome {
            case "skips":
                let logits = try XCTUnwrap(try TransformerModel.load(directory: folder).forward([1, 2, 3]).logits, item.name)
                XCTAssertEqual(logits.shape, base.shape, item.name)
                XCTAssertEqual(logits.storage, base.storage, "\(item.name): transformers skips the quantization; the logits must be the unedited folder's")
            case "quantizes", "raises":
                XCTAssertThrowsError(try TransformerModel.load(directory: folder), item.name) { error in
                    guard case LoadError.invalidConfig(_, let key, let detail) = error else {
                        return XCTFail("\(item.name): \(error)")
                    }
                    XCTAssertEqual(key, "quantization_config", item.name)
                    if item.outcome == "quantizes" {
                        let method = try? XCTUnwrap(item.method)
                        XCTAssertTrue(detail.contains("quantized with \"\(method ?? "?")\""), "\(item.name): \(detail)")
                    } else {
                        XCTAssertFalse(detail.contains("quantized with"), "\(item.name): \(detail)")
                    }
                }
            default:
                XCTFail("\(item.name): unknown outcome \(item.outcome)")
            }
        }
    }

    /// The methods Glassbox names as quantized are the ones transformers 4.53.3 has quantizers for:
    /// every one refused, named, in a config with only `quant_method`.
    func testEveryMethodTransformersKnowsIsRefusedByName() throws {
        let methods = try reference().methods
        XCTAssertEqual(methods.count, 18)
        for method in methods {
            let folder = try folder(with: ["quant_method": method])
            XCTAssertThrowsError(try TransformerModel.load(directory: folder), method) { error in
                XCTAssertTrue(error.localizedDescription.contains("'quantization_config' says the checkpoint is quantized with \"\(method)\""),
                              "\(method): \(error.localizedDescription)")
            }
        }
    }

    /// Refused before the weights are read: a GPTQ save's packed tensors (`qweight`, `scales`, no
    /// `weight`) would otherwise fail as a missing weight, without the reason.
    func testQuantizedCheckpointIsNamedBeforeItsWeights() throws {
        let folder = try Fixtures.linkedCopy(of: "gpt2-tiny", test: self, replacing: "config.json") { data in
            var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            config["quantization_config"] = ["quant_method": "gptq", "bits": 4]
            return try JSONSerialization.data(withJSONObject: config)
        }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        try SafetensorsFile.write([("h.0.attn.c_attn.qweight", Tensor(shape: [4], storage: [1, 2, 3, 4]))],
                                  to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
            XCTAssertTrue(error.localizedDescription.contains("quantized with \"gptq\""), error.localizedDescription)
        }
    }
}
