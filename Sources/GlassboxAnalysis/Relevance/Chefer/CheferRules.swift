import GlassboxRuntime
import GlassboxTensor

/// The LRP rules of Chefer et al., *Transformer Interpretability Beyond Attention Visualization*
/// (CVPR 2021), as `hila-chefer/Transformer-Explainability:modules/layers_ours.py` implements them.
/// These propagate relevance itself (explicit LRP), not a modified gradient.
enum CheferRules {
    /// `layers_ours.safe_divide`: `a / (b + 1e-9)` where `b ≠ 0`, else 0.
    @inline(__always)
    static func safeDivide(_ a: Float, _ b: Float) -> Float { b == 0 ? 0 : a / (b + 1e-9) }

    /// `Linear.relprop` with α = 1, β = 0: only the positive contributions `x⁺w⁺` and `x⁻w⁻` (the bias
    /// takes no share): `S = R / (x⁺W⁺ + x⁻W⁻)`, `R_in = x⁺ ⊙ (S·W⁺ᵀ) + x⁻ ⊙ (S·W⁻ᵀ)`.
    ///
    /// - Parameters: `x [m, in]`, `relevance [m, out]` → `[m, in]`.
    static func linear(_ linear: Linear, input x: Tensor, relevance r: Tensor) -> Tensor {
        let transpose = linear.layout == .outIn
        let wPos = map(linear.weightFloat32) { max($0, 0) }, wNeg = map(linear.weightFloat32) { min($0, 0) }
        let xPos = map(x) { max($0, 0) }, xNeg = map(x) { min($0, 0) }
        var z = matmul(xPos, wPos, transposeB: transpose)
        addInPlace(&z, matmul(xNeg, wNeg, transposeB: transpose))
        let s = zipMap(r, z, safeDivide)
        var out = matmul(s, wPos, transposeB: !transpose)
        multiplyInPlace(&out, xPos)
        var negative = matmul(s, wNeg, transposeB: !transpose)
        multiplyInPlace(&negative, xNeg)
        addInPlace(&out, negative)
        return out
    }

    /// `Add.relprop`: the z-rule `R_a = a ⊙ R/(a + b)`, `R_b = b ⊙ R/(a + b)`, then each branch is
    /// rescaled so the two totals split `Σ R` in proportion to their absolute sums (conservative).
    static func add(_ a: Tensor, _ b: Tensor, relevance r: Tensor) -> (Tensor, Tensor) {
        var ra = a, rb = b
        var aSum = 0.0, bSum = 0.0, total = 0.0
        for i in 0..<r.count {
            let s = safeDivide(r.storage[i], a.storage[i] + b.storage[i])
            ra.storage[i] = a.storage[i] * s
            rb.storage[i] = b.storage[i] * s
            aSum += Double(ra.storage[i]); bSum += Double(rb.storage[i]); total += Double(r.storage[i])
        }
        let denominator = Float(abs(aSum) + abs(bSum))
        let aFactor = safeDivide(Float(abs(aSum)), denominator) * Float(total)
        let bFactor = safeDivide(Float(abs(bSum)), denominator) * Float(total)
        scaleInPlace(&ra, safeDivide(aFactor, Float(aSum)))
        scaleInPlace(&rb, safeDivide(bFactor, Float(bSum)))
        return (ra, rb)
    }

    /// `einsum.relprop` (the z-rule on a product `Z = X·Y`) for the operands `x [m, k]` (stride
    /// `ldx`) and `y`: returns `S = R/Z` with `Z` given; callers multiply `S` back through each
    /// operand. Here only the elementwise part: `S = safe_divide(R, Z)`.
    static func ratio(_ r: Tensor, _ z: Tensor) -> Tensor { zipMap(r, z, safeDivide) }

    static func map(_ t: Tensor, _ f: (Float) -> Float) -> Tensor { Tensor(shape: t.shape, storage: t.storage.map(f)) }

    static func zipMap(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(a.count == b.count, "zipMap: \(a.shape) vs \(b.shape)")
        return Tensor(shape: a.shape, storage: zip(a.storage, b.storage).map(f))
    }
}
