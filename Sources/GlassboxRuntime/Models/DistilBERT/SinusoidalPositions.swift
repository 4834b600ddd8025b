import Foundation
import GlassboxTensor

/// The fixed position table of "Attention Is All You Need" (Vaswani et al. 2017, §3.5) as
/// `transformers`' `create_sinusoidal_embeddings` builds it: `[positions, d]` with
/// `θ(p, j) = p / 10000^(2⌊j/2⌋/d)`, `sin θ` in even columns and `cos θ` in odd ones.
enum SinusoidalPositions {
    static func table(positions: Int, dim d: Int) -> Tensor {
        Tensor(shape: [positions, d]) { out in
            for p in 0..<positions {
                for j in 0..<d {
                    let angle = Double(p) / pow(10000, Double(2 * (j / 2)) / Double(d))
                    out[p * d + j] = Float(j % 2 == 0 ? sin(angle) : cos(angle))
                }
            }
        }
    }
}
