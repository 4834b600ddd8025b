import Foundation
import GlassboxTensor

extension PositionKind {
    /// ALiBi's per-head slopes `[H]` as transformers' `build_alibi_tensor`
    /// (models/bloom/modeling_bloom.py, also Falcon's and MPT's) computes them in float32: with
    /// `c = 2^⌊log₂ H⌋`, `base = 2^(−2^(−(log₂ c − 3)))` (`= 2^(−8/c)`), slopes `base¹ … base^c`;
    /// when `H` is not a power of two, the remaining `min(c, H − c)` heads take
    /// `extra¹, extra³, extra⁵, …` with `extra = 2^(−2^(−(log₂ 2c − 3)))` (`= 2^(−4/c)`).
    public static func alibiSlopes(heads: Int) -> [Float] {
        precondition(heads > 0, "alibiSlopes: at least one head")
        let closest = 1 << (Int.bitWidth - 1 - heads.leadingZeroBitCount)      // 2^⌊log₂ H⌋
        func base(_ c: Int) -> Float { Float(pow(2, -pow(2, -(log2(Double(c)) - 3)))) }  // torch.tensor(…, float32)
        func power(_ b: Float, _ p: Int) -> Float { Float(pow(Double(b), Double(p))) }  // torch.pow: within 1 ulp
        let main = base(closest)
        var slopes = (1...closest).map { power(main, $0) }
        if closest != heads {
            let extra = base(2 * closest)
            let remaining = min(closest, heads - closest)
            slopes += stride(from: 1, to: 1 + 2 * remaining, by: 2).map { power(extra, $0) }
        }
        return slopes
    }
}

extension Architecture {
    /// The ALiBi slopes `[H]` where positions are ALiBi biases (`PositionKind.alibi`), else `nil`.
    public var alibiSlopes: [Float]? {
        if case .alibi(let slopes) = position { slopes } else { nil }
    }
}
