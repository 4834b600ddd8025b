import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// A weight stored in an integer or BOOL dtype, against what transformers 4.53.3 does with it
/// (Tests/Fixtures/stored-dtypes.json, from scripts/fixtures/generate_stored_dtypes.py): each case
/// is helium-tiny with `model.layers.1.mlp.up_proj.weight` stored in that dtype. Transformers
/// refuses every integer (U16, U32 and U64 included) and BOOL weight at load ("Only Tensors of floating point and complex dtype
/// can require gradients"), and so does Glassbox, naming the tensor and its dtype (it used to read
/// the integers as float values and predict). Integer and BOOL *buffers* a loader does not read
/// still load: BERT's `position_ids` (I64) and GPT-Neo's causal `attn.attention.bias` (BOOL,
/// Tests/Fixtures/layouts/gptneo-tiny-bare).
final class StoredWeightDTypeTests: XCTestCase {
    struct Reference: Decodable {
        struct Case: Decodable {
            let dtype: String
            let outcome: String
            let error: String?
            let logitsEqualUpcast: Bool?
            enum CodingKeys: String, CodingKey {
                case dtype, outcome, error
                case logitsEqualUpcast = "logits_equal_upcast"
            }
        }
        let model: String
        let tensor: String
        let cases: [Case]
    }

    private func reference() throws -> Reference {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/stored-dtypes.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// `model` with `tensor` (of `shape`) stored as `dtype`: bytes 0, 1, 2, … (mod 7) per element.
    private func folder(_ model: String, _ tensor: String, _ shape: [Int], as dtype: DType) throws -> URL {
        let count = shape.reduce(1, *)
        var bytes = Data(count: count * dtype.byteSize)
        for i in 0..<count { bytes[i * dtype.byteSize] = UInt8(i % 7 == 0 ? 0 : 1) }
        let stored = SafetensorsEdit.Stored(dtype: dtype.rawValue, shape: shape, bytes: bytes)
        return try Fixtures.linkedCopy(of: model, test: self, replacing: "model.safetensors") { data in
            try SafetensorsEdit.setting([tensor: stored], in: data)
        }
    }

    func testTheReferenceRefusesEveryIntegerAndBoolWeight() throws {
        let reference = try reference()
        XCTAssertEqual(reference.cases.count, 11, "the reference's dtypes")
        XCTAssertEqual(reference.cases.filter { $0.outcome == "raises" }.map(\.dtype),
                       ["I8", "U8", "I16", "I32", "I64", "BOOL", "U16", "U32", "U64"])
        for item in reference.cases where item.outcome == "raises" {
            XCTAssertTrue(item.error?.contains("Only Tensors of floating point and complex dtype can require gradients") == true,
                          "\(item.dtype): \(item.error ?? "nil")")
        }
    }

    func testIntegerAndBoolWeightsAreRefusedNamingTheTensorAndDType() throws {
        let reference = try reference()
        let shape = [48, 32]  // helium-tiny's up_proj [intermediate, hidden]
        for item in reference.cases where item.outcome == "raises" {
            let dtype = try XCTUnwrap(DType(rawValue: item.dtype))
            let folder = try folder(reference.model, reference.tensor, shape, as: dtype)
            XCTAssertThrowsError(try TransformerModel.load(directory: folder), item.dtype) { error in
                XCTAssertEqual(error as? LoadError, .nonFloatingWeight(name: reference.tensor, dtype: dtype, directory: folder.path),
                               "\(item.dtype): \(error)")
                let line = error.localizedDescription
                XCTAssertTrue(line.contains("'\(reference.tensor)'") && line.contains("stored as \(item.dtype),"), line)
                XCTAssertFalse(line.contains("\n"), "one line")
            }
        }
    }

    /// FP8: transformers keeps an F8_E4M3 weight as float8 and its forward fails (recorded), Glassbox
    /// refuses it at load, naming the tensor.
    func testE4M3WeightIsRefusedAtLoad() throws {
        let reference = try reference()
        let outcomes = Dictionary(uniqueKeysWithValues: reference.cases.map { ($0.dtype, $0.outcome) })
        XCTAssertEqual(outcomes["F8_E4M3"], "forward-raises")
        let folder = try folder(reference.model, reference.tensor, [48, 32], as: .f8E4M3)
        XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
            guard case ModelIOError.unsupportedDType(_, let tensor, let stored) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(tensor, reference.tensor)
            XCTAssertEqual(stored, .f8E4M3)
        }
    }

    /// transformers upcasts an F8_E5M2 weight to float32 and runs, its logits equal to those of the
    /// same values stored as F32 (recorded: `logits_equal_upcast`); so does Glassbox. The bytes span
    /// zeros, subnormals and normals of both signs up to 1.75 (exponent fields 0–15); the F32 copy's
    /// values are computed here by field arithmetic (1 sign, 5 exponent bits of bias 15, 2 mantissa bits).
    func testE5M2WeightLoadsAsTheSameValuesInF32() throws {
        let reference = try reference()
        let item = try XCTUnwrap(reference.cases.first { $0.dtype == "F8_E5M2" })
        XCTAssertEqual(item.outcome, "loads")
        XCTAssertEqual(item.logitsEqualUpcast, true)
        let shape = [48, 32], count = 48 * 32
        let bytes: [UInt8] = (0..<count).map { i in
            let sign: UInt8 = i % 3 == 0 ? 0x80 : 0
            return UInt8((i * 37) % 64) | sign
        }
        let values: [Float] = bytes.map { b in
            let e = Int((b >> 2) & 0x1F)
            let m = Float(b & 3)
            let scale = Float(sign: .plus, exponent: e - 15, significand: 1)
            let magnitude: Float = e == 0 ? m * 0x1p-16 : (1 + m / 4) * scale
            return b & 0x80 != 0 ? -magnitude : magnitude
        }
        XCTAssertGreaterThan(Set(values).count, 100, "varied values")
        func stored(_ dtype: String, _ data: Data) throws -> URL {
            try Fixtures.linkedCopy(of: reference.model, test: self, replacing: "model.safetensors") { file in
                try SafetensorsEdit.setting([reference.tensor: .init(dtype: dtype, shape: shape, bytes: data)], in: file)
            }
        }
        let e5m2 = try stored("F8_E5M2", Data(bytes))
        let f32 = try stored("F32", values.withUnsafeBytes { Data($0) })
        let ids = [1, 5, 9, 2, 7]
        let expected = try XCTUnwrap(try TransformerModel.load(directory: f32).forward(ids).logits)
        let actual = try XCTUnwrap(try TransformerModel.load(directory: e5m2).forward(ids).logits)
        XCTAssertEqual(actual, expected)
        let base = try XCTUnwrap(try TransformerModel.load(directory: Fixtures.model(reference.model)).forward(ids).logits)
        XCTAssertNotEqual(actual, base, "the edit changes the output")
    }

    /// Integer and BOOL buffers that transformers keeps as buffers and the loaders do not read.
    func testIntegerBuffersStillLoad() throws {
        let bert = try folder("bert-tiny-mlm", "bert.embeddings.position_ids", [1, 40], as: .i64)
        let base = try XCTUnwrap(try TransformerModel.load(directory: Fixtures.model("bert-tiny-mlm")).forward([1, 2, 3]).logits)
        XCTAssertEqual(try TransformerModel.load(directory: bert).forward([1, 2, 3]).logits, base, "bert position_ids I64")
        let gptneo = Fixtures.root.appendingPathComponent("Tests/Fixtures/layouts/gptneo-tiny-bare")
        let header = try SafetensorsFile(url: gptneo.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(header.entry("h.0.attn.attention.bias")?.dtype, .bool, "the fixture carries a BOOL buffer")
        XCTAssertNoThrow(try TransformerModel.load(directory: gptneo))
    }
}
