import Foundation
import XCTest
import GlassboxTensor
@testable import GlassboxModelIO

final class CheckpointTests: TemporaryFolderTestCase {
    let tensors: [(String, Tensor)] = [
        ("wte.weight", Tensor(shape: [3, 2], storage: [1, 2, 3, 4, 5, 6])),
        ("h.0.ln_1.weight", Tensor(shape: [2], storage: [7, 8])),
        ("h.0.ln_1.bias", Tensor(shape: [2], storage: [9, 10])),
        ("ln_f.weight", Tensor(shape: [2], storage: [11, 12])),
    ]

    /// Writes `tensors` as two shards plus an index; returns the index URL.
    @discardableResult
    func writeSharded(index: String? = nil) throws -> URL {
        let first = "model-00001-of-00002.safetensors", second = "model-00002-of-00002.safetensors"
        try SafetensorsFile.write(Array(tensors.prefix(2)), metadata: ["format": "pt"],
                                  to: folder.appendingPathComponent(first))
        try SafetensorsFile.write(Array(tensors.suffix(2)), metadata: ["format": "pt"], dtype: .bf16,
                                  to: folder.appendingPathComponent(second))
        let map = tensors.enumerated().map { "\"\($0.element.0)\": \"\($0.offset < 2 ? first : second)\"" }
        let text = index ?? "{\"metadata\": {\"total_size\": 56}, \"weight_map\": {\(map.joined(separator: ", "))}}"
        return try write(Array(text.utf8), to: Checkpoint.indexFileName)
    }

    func testSingleFile() throws {
        try SafetensorsFile.write(tensors, to: folder.appendingPathComponent("model.safetensors"))
        let checkpoint = try Checkpoint(directory: folder)
        XCTAssertEqual(checkpoint.files.map(\.lastPathComponent), ["model.safetensors"])
        XCTAssertEqual(checkpoint.tensorNames, Set(tensors.map(\.0)))
        for (name, tensor) in tensors { XCTAssertEqual(try checkpoint.tensor(name), tensor, name) }
        XCTAssertTrue(checkpoint.contains("wte.weight"))
        XCTAssertFalse(checkpoint.contains("lm_head.weight"))
        XCTAssertEqual(checkpoint.entry("ln_f.weight")?.shape, [2])
        XCTAssertNil(checkpoint.entry("lm_head.weight"))
    }

    func testShardedRoundTrip() throws {
        try writeSharded()
        let checkpoint = try Checkpoint(directory: folder)
        XCTAssertEqual(checkpoint.files.map(\.lastPathComponent),
                       ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        XCTAssertEqual(checkpoint.tensorNames, Set(tensors.map(\.0)))
        for (name, tensor) in tensors { XCTAssertEqual(try checkpoint.tensor(name), tensor, name) }
        XCTAssertEqual(checkpoint.entry("ln_f.weight")?.dtype, .bf16)
        XCTAssertEqual(checkpoint.file(containing: "wte.weight")?.lastPathComponent, "model-00001-of-00002.safetensors")
        assertThrows(.tensorNotFound(file: folder.path, tensor: "transformer.ln_f.weight", available: 4,
                                     similar: ["ln_f.weight"]),
                     mentions: [folder.lastPathComponent, "'transformer.ln_f.weight'", "ln_f.weight"]) {
            try checkpoint.tensor("transformer.ln_f.weight")
        }
    }

    func testSingleFileWinsOverIndex() throws {
        try writeSharded()
        try SafetensorsFile.write([("only", Tensor(shape: [1], storage: [1]))], to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(try Checkpoint(directory: folder).tensorNames, ["only"])
    }

    func testTensorListedInIndexButMissingFromShard() throws {
        let shard = "model-00001-of-00002.safetensors"
        let text = "{\"weight_map\": {\"wte.weight\": \"\(shard)\", \"lm_head.weight\": \"\(shard)\"}}"
        let index = try writeSharded(index: text)
        assertThrows(.tensorMissingFromShard(index: index.path, shard: shard, tensor: "lm_head.weight"),
                     mentions: [Checkpoint.indexFileName, shard, "'lm_head.weight'"]) { try Checkpoint(directory: folder) }
    }

    func testMissingShardFile() throws {
        let index = try writeSharded()
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model-00002-of-00002.safetensors"))
        assertThrows(.shardNotFound(index: index.path, shard: "model-00002-of-00002.safetensors", tensor: "h.0.ln_1.bias"),
                     mentions: [Checkpoint.indexFileName, "model-00002-of-00002.safetensors", "'h.0.ln_1.bias'"]) {
            try Checkpoint(directory: folder)
        }
    }

    func testMalformedIndex() throws {
        let cases: [(String, String)] = [
            ("{\"weight_map\": ", "not valid JSON"),
            ("[1]", "top level is a JSON array"),
            ("{\"metadata\": {}}", "no 'weight_map'"),
            ("{\"weight_map\": [\"a\"]}", "'weight_map' is a JSON array"),
            ("{\"weight_map\": {\"wte.weight\": 3}}", "shard of tensor 'wte.weight' is a JSON number"),
            ("{\"weight_map\": {\"wte.weight\": \"../model.safetensors\"}}", "shard '../model.safetensors' of tensor 'wte.weight' is not a file name in the folder"),
            ("{\"weight_map\": {\"wte.weight\": \"/etc/passwd\"}}", "shard '/etc/passwd' of tensor 'wte.weight' is not a file name in the folder"),
            ("{\"weight_map\": {}}", "'weight_map' is empty"),
        ]
        for (text, detail) in cases {
            let index = try writeSharded(index: text)
            guard let error = modelIOError({ try Checkpoint(directory: folder) }) else { continue }
            guard case .malformedIndex(let file, let actual) = error else { XCTFail("\(text): \(error)"); continue }
            XCTAssertEqual(file, index.path)
            XCTAssertTrue(actual.hasPrefix(detail), "\(actual) vs \(detail)")
            assertMessage(error, mentions: [Checkpoint.indexFileName, "weight_map"])
        }
    }

    func testHostileShardIsReportedWithItsFileName() throws {
        try writeSharded()
        let shard = try write(SafetensorsImage.file(header: "[]"), to: "model-00002-of-00002.safetensors")
        assertThrows(.headerNotObject(file: shard.path, found: "array"), mentions: ["model-00002-of-00002.safetensors"]) {
            try Checkpoint(directory: folder)
        }
    }

    func testPyTorchOnlyFolderExplainsConversion() throws {
        try write([0x80, 0x02], to: "pytorch_model.bin")
        try write(Array("{}".utf8), to: "config.json")
        assertThrows(.pytorchOnly(directory: folder.path, files: ["pytorch_model.bin"]),
                     mentions: [folder.lastPathComponent, "pytorch_model.bin", "safetensors only", "python -c",
                                "save_file", "\(folder.path)/model.safetensors"]) { try Checkpoint(directory: folder) }
        try write([0], to: "extra.pt")
        assertThrows(.pytorchOnly(directory: folder.path, files: ["extra.pt", "pytorch_model.bin"])) {
            try Checkpoint(directory: folder)
        }
    }

    func testNoWeightsNamesTheFolder() throws {
        try write(Array("{}".utf8), to: "config.json")
        try write(Array("{}".utf8), to: "tokenizer.json")
        assertThrows(.noWeights(directory: folder.path, contents: ["config.json", "tokenizer.json"]),
                     mentions: [folder.lastPathComponent, "model.safetensors", "config.json, tokenizer.json"]) {
            try Checkpoint(directory: folder)
        }
        let missing = folder.appendingPathComponent("absent")
        assertThrows(.noWeights(directory: missing.path, contents: []), mentions: ["absent", "nothing"]) {
            try Checkpoint(directory: missing)
        }
    }
}
