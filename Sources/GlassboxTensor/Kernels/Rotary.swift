import Foundation

// Rotary position embeddings in both Hugging Face conventions (`RotaryLayout`): "rotate half"
// (Llama, Mistral, Qwen, GPT-NeoX partial rotary: the rotary part of a head is split into halves
// x1 | x2 and x' = x·cos + cat(−x2, x1)·sin) and GPT-J's interleaved pairs ("rotate every two":
// dims (2i, 2i+1) rotate by frequency i, x' = x·cos + stack(−x_odd, x_even)·sin).

/// Which dimensions of a head's rotary part form the rotated pairs.
public enum RotaryLayout: Sendable, Equatable {
    /// Pairs `(i, i + rotaryDim/2)`: `rotate_half`, tables `cat(freqs, freqs)` (Llama, GPT-NeoX, …).
    case halves
    /// Pairs `(2i, 2i + 1)`: GPT-J's `rotate_every_two`, tables `repeat_interleave(freqs, 2)`.
    case interleaved
}

/// The powers `base ** (arange(0, dim, 2).float() / dim)` every rotary table starts from, in torch's
/// float32 arithmetic (transformers 4.53.3's `_compute_default_rope_parameters` and every scaled
/// variant, YaRN's `pos_freqs`, GPT-J's `create_sinusoidal_positions`).
///
/// - Parameters:
///   - rotaryDim: `dim`, the rotated dimensions per head (> 0; odd where transformers' `int(head_dim ·
///     share)` is odd: GLM, GPT-NeoX, Nemotron, Phi-3 rotate `dim + 1` lanes with these frequencies).
///   - base: `rope_theta` as the config holds it (a Python int or float; a dynamic-NTK base rescaled
///     in Python double).
/// - Returns: `[ceil(rotaryDim / 2)]` values `Float(base) ** (Float(2i) / Float(dim))`.
///
/// Each step as torch takes it: the exponent is the float32 quotient of `arange(...).float()` (or
/// GPT-J's int64 arange promoted to float32) by the integer `dim`; `Scalar ** Tensor` wraps the
/// Python base as a scalar of the tensor's dtype, so the base is rounded to float32 before the
/// power; the power is the C library's `powf` (`std::pow(float, float)`, torch's portable CPU
/// kernel). torch's vector kernels (AVX2 / AVX-512: SLEEF's `powf`, within 1 ulp) compute the
/// elements in full blocks of two vectors and may differ from `powf` there by an ulp;
/// `Tests/Fixtures/rotary/frequencies.json` holds both and RopeFrequencyTests bounds that.
public func ropePowers(rotaryDim: Int, base: Double) -> [Float] {
    precondition(rotaryDim > 0, "ropePowers: rotaryDim \(rotaryDim) must be > 0")
    let b = Float(base)
    return (0..<((rotaryDim + 1) / 2)).map { i in powf(b, Float(2 * i) / Float(rotaryDim)) }
}

/// Inverse frequencies of the rotary embedding, bit for bit as torch computes
/// `1.0 / (base ** (arange(0, dim, 2).float() / dim))` (`Tensor.__rtruediv__`: a float32
/// reciprocal of ``ropePowers(rotaryDim:base:)``).
///
/// - Parameters:
///   - rotaryDim: `dim`, as for ``ropePowers(rotaryDim:base:)``.
///   - base: `rope_theta` (10 000 for Llama 2, 500 000 for Llama 3, …).
/// - Returns: `[ceil(rotaryDim / 2)]` values invFreq[i] ≈ 1 / base^(2i / rotaryDim).
///
/// The one table every rotary family and check uses (the llama3 boundary test too). The Double
/// formula (``NaiveKernels/ropeInverseFrequencies(rotaryDim:base:)``) differs from it by a few ulps
/// (the float32 exponent's rounding, amplified by `ln base`).
public func ropeInverseFrequencies(rotaryDim: Int, base: Double) -> [Float] {
    ropePowers(rotaryDim: rotaryDim, base: base).map { 1 / $0 }
}

/// Cosine and sine tables for the given positions.
///
/// - Parameters:
///   - positions: `n` token positions.
///   - inverseFrequencies: `[rotaryDim / 2]`, e.g. from `ropeInverseFrequencies` (or a scaled variant).
///   - attentionScaling: multiplies both tables (HF `attention_scaling`, 1 except for YaRN-style scaling).
///   - layout: `.halves` gives columns `i` and `i + rotaryDim/2` frequency `i` (HF `emb = cat(freqs,
///     freqs)`); `.interleaved` gives columns `2i` and `2i + 1` frequency `i` (GPT-J's
///     `repeat_interleave(sin, 2)`).
/// - Returns: `cos` and `sin`, each `[n, rotaryDim]`.
///
/// HF computes `freqs = inv_freq @ position_ids` as a float32 matmul with K = 1, i.e. one float32
/// product `Float(pos) · invFreq` per entry, then float32 `cos`/`sin`, then `· attention_scaling` in
/// float32. We form the angle with the same float32 product (so large positions see the same
/// rounded angle as HF: at position 4096 the angle's ulp is ~5e-4), evaluate cos/sin of that angle
/// in Double and round to Float, then scale in float32. The only difference from HF is float32
/// cos/sin's own rounding (≤ 1 ulp).
public func ropeTables(positions: [Int], inverseFrequencies: [Float], attentionScaling: Float = 1,
                       layout: RotaryLayout = .halves) -> (cos: Tensor, sin: Tensor) {
    let half = inverseFrequencies.count
    let rotaryDim = 2 * half
    let n = positions.count
    var cosT = Tensor.zeros([n, rotaryDim])
    var sinT = Tensor.zeros([n, rotaryDim])
    cosT.withUnsafeMutableBufferPointer { cb in
        sinT.withUnsafeMutableBufferPointer { sb in
            for (t, pos) in positions.enumerated() {
                let p = Float(pos)
                for i in 0..<half {
                    let angle = Double(p * inverseFrequencies[i])     // float32 product, as HF
                    let c = Float(Foundation.cos(angle)) * attentionScaling
                    let s = Float(Foundation.sin(angle)) * attentionScaling
                    let (j1, j2) = layout == .halves ? (i, half + i) : (2 * i, 2 * i + 1)
                    cb[t * rotaryDim + j1] = c
                    cb[t * rotaryDim + j2] = c
                    sb[t * rotaryDim + j1] = s
                    sb[t * rotaryDim + j2] = s
                }
            }
        }
    }
    return (cosT, sinT)
}

/// Applies the rotary embedding in place.
///
/// - Parameters:
///   - x: `[n, heads, headDim]` queries or keys.
///   - cos: `[n, rotaryDim]` with rotaryDim ≤ headDim (even), from `ropeTables`.
///   - sin: `[n, rotaryDim]`.
///   - layout: the pairing the tables were made for.
///
/// For each token and head, the first `rotaryDim` dims become x·cos + rotate(x)·sin with
/// rotate(x) = cat(−x2, x1) over that part (`.halves`, HF `rotate_half`) or
/// (…, −x[2i+1], x[2i], …) (`.interleaved`, GPT-J's `rotate_every_two`); dims ≥ rotaryDim are
/// unchanged (partial rotary). Each output is two rounded products and a rounded sum, like
/// PyTorch's (no FMA). With `sin` negated this is the transpose (inverse) rotation, in both layouts.
public func applyRotary(_ x: inout Tensor, cos: Tensor, sin: Tensor, layout: RotaryLayout = .halves) {
    precondition(x.rank == 3, "applyRotary: x must be [n, heads, headDim], got \(x.shape)")
    let n = x.shape[0], heads = x.shape[1], headDim = x.shape[2]
    precondition(cos.rank == 2 && cos.shape == sin.shape && cos.shape[0] == n,
                 "applyRotary: cos \(cos.shape) / sin \(sin.shape) must both be [\(n), rotaryDim]")
    let rotaryDim = cos.shape[1]
    precondition(rotaryDim % 2 == 0 && rotaryDim <= headDim,
                 "applyRotary: rotaryDim \(rotaryDim) must be even and ≤ headDim \(headDim)")
    let half = rotaryDim / 2
    guard n > 0, heads > 0, half > 0 else { return }
    // Pair i is dims (i·stride, i·stride + offset) of the head.
    let (stride, offset) = layout == .halves ? (1, half) : (2, 1)
    cos.withUnsafeBufferPointer { cb in
        sin.withUnsafeBufferPointer { sb in
            x.withUnsafeMutableBufferPointer { xb in
                let xp = xb.baseAddress!, cp = cb.baseAddress!, sp = sb.baseAddress!
                for t in 0..<n {
                    let c = cp + t * rotaryDim, s = sp + t * rotaryDim
                    for h in 0..<heads {
                        let x1 = xp + (t * heads + h) * headDim
                        for i in 0..<half {
                            let j1 = i * stride, j2 = j1 + offset
                            let a = x1[j1], b = x1[j2]
                            x1[j1] = a * c[j1] - b * s[j1]
                            x1[j2] = b * c[j2] + a * s[j2]
                        }
                    }
                }
            }
        }
    }
}
