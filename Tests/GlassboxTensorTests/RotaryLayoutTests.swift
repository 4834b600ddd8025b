import Foundation
import GlassboxModelIO
import GlassboxTensor
import XCTest

/// The two pairings of `RotaryLayout`: the fast kernels equal the naive ones in both, the
/// interleaved tables repeat each frequency in adjacent columns, `−sin` undoes the rotation, and the
/// interleaved rotation matches GPT-J's own `apply_rotary_pos_emb` (transformers 4.53.3,
/// scripts/fixtures/generate_rotary.py → Tests/Fixtures/rotary/gptj.safetensors).
final class RotaryLayoutTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/rotary/gptj.safetensors")

    /// Same float operations as the naive kernels, so exactly equal, in both layouts; the
    /// interleaved tables are the halves tables with columns reordered (i, i + r/2) → (2i, 2i + 1).
    func testFastEqualsNaiveInBothLayouts() {
        var rng = SplitMix64(seed: 41)
        for layout in [RotaryLayout.halves, .interleaved] {
            for (headDim, rotaryDim) in [(8, 8), (10, 6), (64, 16), (20, 20), (12, 4)] {
                let positions = [0, 1, 5, 63, 2047]
                let inv = ropeInverseFrequencies(rotaryDim: rotaryDim, base: 10_000)
                let (c, s) = ropeTables(positions: positions, inverseFrequencies: inv, attentionScaling: 0.75, layout: layout)
                let ref = NaiveKernels.ropeTables(positions: positions, inverseFrequencies: inv, attentionScaling: 0.75, layout: layout)
                XCTAssertEqual(c, ref.cos, "\(layout) cos")
                XCTAssertEqual(s, ref.sin, "\(layout) sin")
                let x = rng.tensor([positions.count, 3, headDim])
                var y = x
                applyRotary(&y, cos: c, sin: s, layout: layout)
                XCTAssertEqual(y, NaiveKernels.applyRotary(x, cos: c, sin: s, layout: layout),
                               "\(layout) headDim \(headDim) rotaryDim \(rotaryDim)")
            }
        }
    }

    /// Interleaved column 2i and 2i+1 hold frequency i (halves column i); pairs (2i, 2i+1) keep
    /// their norm; the pass-through dimensions stay; rotating by −θ restores x (1e-6).
    func testInterleavedPairs() {
        var rng = SplitMix64(seed: 42)
        let (headDim, rotaryDim, half) = (10, 6, 3)
        let positions = [0, 3, 9, 100]
        let inv = ropeInverseFrequencies(rotaryDim: rotaryDim, base: 10_000)
        let halves = ropeTables(positions: positions, inverseFrequencies: inv)
        let (c, s) = ropeTables(positions: positions, inverseFrequencies: inv, layout: .interleaved)
        for t in positions.indices {
            for i in 0..<half {
                XCTAssertEqual(c[t, 2 * i], halves.cos[t, i])
                XCTAssertEqual(c[t, 2 * i + 1], halves.cos[t, i])
                XCTAssertEqual(s[t, 2 * i], halves.sin[t, i])
                XCTAssertEqual(s[t, 2 * i + 1], halves.sin[t, i])
            }
        }
        let x = rng.tensor([positions.count, 2, headDim])
        var y = x
        applyRotary(&y, cos: c, sin: s, layout: .interleaved)
        for t in positions.indices {
            for h in 0..<2 {
                for i in 0..<half {
                    let before = x[t, h, 2 * i] * x[t, h, 2 * i] + x[t, h, 2 * i + 1] * x[t, h, 2 * i + 1]
                    let after = y[t, h, 2 * i] * y[t, h, 2 * i] + y[t, h, 2 * i + 1] * y[t, h, 2 * i + 1]
                    XCTAssertEqual(after, before, accuracy: 1e-5 * max(before, 1e-3))
                }
                for j in rotaryDim..<headDim { XCTAssertEqual(y[t, h, j], x[t, h, j]) }
            }
        }
        // Differs from the rotate-half pairing away from position 0.
        var z = x
        applyRotary(&z, cos: halves.cos, sin: halves.sin)
        XCTAssertNotEqual(z, y)
        var back = y
        applyRotary(&back, cos: c, sin: Tensor(shape: s.shape, storage: s.storage.map { -$0 }), layout: .interleaved)
        assertClose(back, x, abs: 1e-6, rel: 1e-6, "rotation by −θ")
    }

    /// GPT-J's tables (create_sinusoidal_positions, float32 inv_freq and angle) and rotation. The
    /// tables agree to 2e-6 + 2e-7·pos at positions up to 2047 (Glassbox rounds inv_freq from Double,
    /// transformers computes it in float32: ≤ 1 ulp, times the position); the rotation with the
    /// reference's own tables is bit-identical (x·cos − y·sin is x·cos + (−y)·sin), and with
    /// Glassbox's tables within the tables' difference times |x| (≤ 5e-6 + 1e-6·pos).
    func testInterleavedMatchesGPTJ() throws {
        let file = try SafetensorsFile(url: Self.fixture)
        let positions = try JSONDecoder().decode([Int].self, from: Data(try XCTUnwrap(file.metadata["positions"]).utf8))
        let cases = try JSONDecoder().decode([String: [Int]].self, from: Data(try XCTUnwrap(file.metadata["cases"]).utf8))
        XCTAssertEqual(cases.count, 4)
        for (name, sizes) in cases.sorted(by: { $0.key < $1.key }) {
            let rotaryDim = sizes[2]
            let x = try file.tensor("\(name).x"), expected = try file.tensor("\(name).rotated")
            let refCos = try file.tensor("\(name).cos"), refSin = try file.tensor("\(name).sin")
            let (c, s) = ropeTables(positions: positions, inverseFrequencies: ropeInverseFrequencies(rotaryDim: rotaryDim, base: 10_000),
                                    layout: .interleaved)
            XCTAssertEqual(c.shape, refCos.shape, name)
            var worst: Float = 0
            for (t, pos) in positions.enumerated() {
                for j in 0..<rotaryDim {
                    let tol = 2e-6 + 2e-7 * Float(pos)
                    XCTAssertEqual(c[t, j], refCos[t, j], accuracy: tol, "\(name) cos[\(pos), \(j)]")
                    XCTAssertEqual(s[t, j], refSin[t, j], accuracy: tol, "\(name) sin[\(pos), \(j)]")
                    worst = max(worst, abs(c[t, j] - refCos[t, j]), abs(s[t, j] - refSin[t, j]))
                }
            }
            var exact = x
            applyRotary(&exact, cos: refCos, sin: refSin, layout: .interleaved)
            XCTAssertEqual(exact, expected, "\(name): the reference's tables give its bits")
            var y = x
            applyRotary(&y, cos: c, sin: s, layout: .interleaved)
            let (n, heads, dh) = (x.shape[0], x.shape[1], x.shape[2])
            for t in 0..<n {
                for h in 0..<heads {
                    for j in 0..<dh {
                        XCTAssertEqual(y[t, h, j], expected[t, h, j], accuracy: 5e-6 + 1e-6 * Float(positions[t]),
                                       "\(name) [\(positions[t]), \(h), \(j)]")
                    }
                }
            }
            print("RotaryLayoutTests \(name): max table difference \(worst)")
        }
    }
}
