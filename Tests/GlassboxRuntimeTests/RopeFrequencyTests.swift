import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// The rotary inverse frequencies bit for bit as torch 2.15 computes them in transformers 4.53.3's
/// own functions (`ROPE_INIT_FUNCTIONS`: default, linear, dynamic, yarn, longrope, llama3; GPT-J's
/// `create_sinusoidal_positions`), for dims 1…256 (odd ones too) and bases 10 000 (int and float),
/// 500 000, 1e6, 50, 160 000, 12 345.678 and dynamic-NTK-rescaled ones.
///
/// The reference is Tests/Fixtures/rotary/frequencies.json, written by
/// scripts/fixtures/generate_rope_frequencies.py: `bits` from torch's portable CPU kernels (the
/// power is the C library's `powf` for every element), `simd_bits` from its vector kernels on the
/// generating machine (SLEEF's `powf` for elements in full vector blocks). Tolerance: none against
/// `bits`; at most 2 ulps against `simd_bits` (the largest difference between torch's two kernels
/// in the file). The Double formula (Glassbox's table before this test) differs from `bits` in most
/// entries.
final class RopeFrequencyTests: XCTestCase {
    struct Reference: Decodable {
        let simd: String
        let cases: [Case]
    }

    struct Case: Decodable {
        let kind: String
        let dim: Int
        let base: Double
        let max_positions: Int?
        let seq_len: Int?
        let original_max_positions: Int?
        let scaling: [String: JSONValue]?
        let bits: [UInt32]
        let simd_bits: [UInt32]

        var name: String {
            "\(kind) dim \(dim) base \(base)" + (seq_len.map { " length \($0)" } ?? "")
                + (scaling?["factor"]?.number.map { " factor \($0)" } ?? "")
        }
    }

    static func reference() throws -> Reference {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/rotary/frequencies.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// The table `RotaryEmbedding` builds for a case, its `rope_scaling` read as a Llama config's.
    static func frequencies(_ c: Case) throws -> [Float] {
        let maxPositions = c.max_positions ?? 2048
        let scaling = try RopeScaling.read(c.scaling, typeKeys: .ropeTypeFirst, modelType: "llama", maxPositions: maxPositions,
                                           maxPositionsNullKey: nil, rotatedDimensions: c.dim,
                                           originalMaxPositions: c.original_max_positions.map { .number(Double($0)) },
                                           base: (c.base, "rope_theta"))
        let rope = RotaryEmbedding(dimensions: c.dim + c.dim % 2, base: c.base, scaling: scaling, maxPositions: maxPositions,
                                   layout: c.kind == "gptj" ? .interleaved : .halves, oddWidth: c.dim % 2 == 1 ? c.dim : nil)
        return rope.inverseFrequencies(length: c.seq_len ?? 1)
    }

    func testEveryTableEqualsTorchBitForBit() throws {
        let reference = try Self.reference()
        XCTAssertEqual(reference.cases.count, 151)
        XCTAssertEqual(Set(reference.cases.map(\.kind)), ["default", "linear", "dynamic", "yarn", "longrope", "llama3", "gptj"])
        var values = 0, differing = 0
        for c in reference.cases {
            let ours = try Self.frequencies(c).map(\.bitPattern)
            XCTAssertEqual(ours.count, c.bits.count, c.name)
            let off = zip(ours, c.bits).filter { $0 != $1 }.count
            XCTAssertEqual(off, 0, "\(c.name): \(off) of \(c.bits.count) frequencies differ from torch's bits")
            values += c.bits.count
            differing += off
        }
        XCTAssertEqual(values, 4162)
        XCTAssertEqual(differing, 0)
    }

    /// torch's vector kernels (SLEEF `powf`) give the same tables within 2 ulps, and the file shows
    /// they do differ somewhere (so the portable reference is not vacuous).
    func testTorchVectorKernelsAgreeWithinTwoUlps() throws {
        let reference = try Self.reference()
        var differing = 0
        for c in reference.cases {
            let ours = try Self.frequencies(c)
            for (a, bits) in zip(ours, c.simd_bits) {
                let b = Float(bitPattern: bits)
                XCTAssertLessThanOrEqual(abs(a - b), 2 * b.ulp, "\(c.name) vs torch's \(reference.simd) kernels")
                if a != b { differing += 1 }
            }
        }
        XCTAssertGreaterThan(differing, 0)
    }

    /// The unscaled table is `ropeInverseFrequencies` itself, and the llama3 boundary check reads
    /// that same table (no second copy): 10000^(−2/3) in float32 is the value torch computes.
    func testOneTable() throws {
        let reference = try Self.reference()
        for c in reference.cases where c.kind == "default" {
            XCTAssertEqual(ropeInverseFrequencies(rotaryDim: c.dim, base: c.base).map(\.bitPattern), c.bits, c.name)
        }
        let third = try XCTUnwrap(reference.cases.first { $0.kind == "default" && $0.dim == 3 && $0.base == 10000 })
        XCTAssertEqual(ropeInverseFrequencies(rotaryDim: 3, base: 10000)[1].bitPattern, third.bits[1])
        XCTAssertNotEqual(Float(1 / pow(10000.0, 2.0 / 3)).bitPattern, third.bits[1], "the Double formula's value")
    }
    /// Every golden that records the inverse frequencies its forward used (`rope_inv_freq`: the Llama
    /// family and every fixture with a rope_scaling, 37 fixtures × 3 cases) holds exactly the table the
    /// loaded model builds for that length. The list is parsed with `Double(String)` (correctly rounded;
    /// JSONSerialization's parse is not exact here).
    func testEveryGoldenTableEqualsTransformersBitForBit() throws {
        var cases = 0
        for name in GoldenTests.fixtureModels {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            guard case .rotary(let rope) = model.architecture.position else { continue }
            for (caseName, file) in try Fixtures.goldenCases(name) {
                let golden = try Golden(url: file)
                guard let written = golden.file.metadata["rope_inv_freq"] else { continue }
                let reference = try written.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",")
                    .map { try XCTUnwrap(Double($0.trimmingCharacters(in: .whitespaces))) }
                XCTAssertEqual(rope.inverseFrequencies(length: golden.inputIDs.count).map(Double.init), reference,
                               "\(name)/\(caseName)")
                cases += 1
            }
        }
        XCTAssertEqual(cases, 111)   // 37 fixtures × 3 cases (phimoe-tiny's LongRoPE: +3)
    }
}
