import Foundation
import GlassboxRender

/// A small seeded generator (SplitMix64) so the gallery is identical on every run.
struct Seeded {
    private var state: UInt64
    init(_ seed: UInt64) { state = seed }

    /// Uniform in 0..<1.
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }

    /// Roughly normal (sum of uniforms), mean 0, standard deviation `sd`.
    mutating func normal(_ sd: Double) -> Double { ((0..<4).map { _ in next() }.reduce(0, +) - 2) * sd * 1.73 }
}

/// Made-up attention patterns of the kinds real heads show.
enum Synthetic {
    enum Pattern: CaseIterable { case previousToken, sink, selfToken, local, induction, broad }

    /// Row-wise softmax of `scores` with the causal mask: `[n, n]`, rows sum to 1.
    static func causalSoftmax(_ scores: [[Double]]) throws -> ScoreMatrix {
        try ScoreMatrix(scores.enumerated().map { i, row in
            let kept = row.prefix(i + 1)
            let top = kept.max() ?? 0
            let e = kept.map { exp($0 - top) }
            let sum = e.reduce(0, +)
            return e.map { Float($0 / sum) } + Array(repeating: 0, count: row.count - i - 1)
        })
    }

    /// One head's pattern over `n` tokens; `sharpness` scales its logits.
    static func head(_ pattern: Pattern, n: Int, sharpness: Double, noise: Double = 0.5, rng: inout Seeded) throws -> ScoreMatrix {
        let scores: [[Double]] = (0..<n).map { i in
            (0..<n).map { j in
                let jitter = rng.normal(noise)
                let s: Double = switch pattern {
                case .previousToken: j == i - 1 ? 4 : (j == 0 ? 1.5 : 0)
                case .sink: j == 0 ? 3.5 : 0.3 * Double(j) / Double(max(i, 1))
                case .selfToken: j == i ? 3.5 : (j == 0 ? 1 : 0)
                case .local: -0.9 * Double(i - j) + (j == 0 ? 1 : 0)
                case .induction: (j > 0 && j % 7 == (i + 1) % 7 && j < i) ? 3.5 : (j == 0 ? 1.5 : 0)
                case .broad: 0
                }
                return s * sharpness + jitter
            }
        }
        return try causalSoftmax(scores)
    }

    /// `layers × heads` patterns over `n` tokens: sinks and broad heads early, sharper and more
    /// varied heads later.
    static func model(layers: Int, heads: Int, n: Int, seed: UInt64 = 7, noise: Double = 0.5) throws -> [[ScoreMatrix]] {
        var rng = Seeded(seed)
        return try (0..<layers).map { l in
            try (0..<heads).map { _ in
                let depth = Double(l) / Double(max(layers - 1, 1))
                let pick = rng.next()
                let pattern: Pattern = switch pick {
                case ..<(0.25 - 0.1 * depth): .broad
                case ..<0.45: .sink
                case ..<0.62: .previousToken
                case ..<0.74: .local
                case ..<(0.82 + 0.05 * depth): .selfToken
                default: l > layers / 3 ? .induction : .sink
                }
                return try head(pattern, n: n, sharpness: 0.7 + 0.6 * depth, noise: noise, rng: &rng)
            }
        }
    }

    /// GPT-2's byte-level spelling of `text` (`bytes_to_unicode`): how a tokenizer's vocabulary
    /// shows it, e.g. " café" → "ĠcafÃ©".
    static func byteLevel(_ text: String) -> String {
        var table: [UInt8: Character] = [:]
        var next: UInt32 = 256
        for b in 0...255 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                table[UInt8(b)] = Character(Unicode.Scalar(UInt32(b))!)
            } else {
                table[UInt8(b)] = Character(Unicode.Scalar(next)!)
                next += 1
            }
        }
        return String(text.utf8.map { table[$0]! })
    }

    /// An RGB picture of a house under the sun on a hill, `size × size`, antialiased by 4×4
    /// supersampling: `height × width × 3` bytes.
    static func houseImage(size: Int) throws -> PixelImage {
        func color(_ x: Double, _ y: Double) -> (Double, Double, Double) {   // x, y in 0…1
            if pow(x - 0.76, 2) + pow(y - 0.22, 2) < 0.0081 { return (1, 0.84, 0.32) }                 // sun
            if y > 0.5, y < 0.78, x > 0.27, x < 0.58 {                                                // walls
                if x > 0.38, x < 0.47, y > 0.63 { return (0.38, 0.24, 0.14) }                        // door
                if x > 0.5, x < 0.56, y > 0.56, y < 0.64 { return (0.85, 0.93, 1) }                  // window
                return (0.8, 0.26, 0.2)
            }
            if y <= 0.5, y > 0.3, abs(x - 0.425) < (y - 0.3) * 1.0 { return (0.45, 0.2, 0.15) }      // roof
            if y > 0.68 + 0.06 * sin(x * 9) { return (0.33 + 0.1 * y, 0.58, 0.28) }                  // hill
            return (0.52 + 0.3 * y, 0.72 + 0.16 * y, 0.96)                                            // sky
        }
        var pixels: [UInt8] = []
        pixels.reserveCapacity(size * size * 3)
        for py in 0..<size {
            for px in 0..<size {
                var sum = (0.0, 0.0, 0.0)
                for sy in 0..<4 {
                    for sx in 0..<4 {
                        let c = color((Double(px) + (Double(sx) + 0.5) / 4) / Double(size), (Double(py) + (Double(sy) + 0.5) / 4) / Double(size))
                        sum = (sum.0 + c.0 / 16, sum.1 + c.1 / 16, sum.2 + c.2 / 16)
                    }
                }
                pixels += [sum.0, sum.1, sum.2].map { UInt8((min(max($0, 0), 1) * 255).rounded()) }
            }
        }
        return try PixelImage(width: size, height: size, channels: 3, pixels: pixels)
    }
}
