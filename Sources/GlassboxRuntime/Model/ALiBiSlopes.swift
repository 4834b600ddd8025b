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

extension PositionKind {
    /// MPT's slopes `[H]` as `build_mpt_alibi_tensor` (models/mpt/modeling_mpt.py) computes them in
    /// float32 with `alibi_bias_max` 8 (what `MptModel.forward` passes: the config's is not read):
    /// with `P = 2^⌈log₂ H⌉`, `slope_i = 1 / 2^(i · 8/P)` for `i = 1 … P`; when `H` is not a power of
    /// two, `concat(slopes[1::2], slopes[::2])[:H]`. That is `alibiSlopes(heads:)`'s order and values
    /// (the powers `2^(−8k/c)` of the closest power of two `c`, then the half steps between them), but
    /// computed as `1 / 2^x` rather than `base^k`, so they can round a few ulps apart
    /// (Tests/Fixtures/mpt/fields.json holds transformers' slopes for 1 … 40 heads).
    public static func mptAlibiSlopes(heads: Int, biasMax: Double = 8) -> [Float] {
        precondition(heads > 0, "mptAlibiSlopes: at least one head")
        let padded = heads <= 1 ? 1 : 1 << (Int.bitWidth - (heads - 1).leadingZeroBitCount)   // 2^⌈log₂ H⌉
        let step = Float(biasMax / Double(padded))                             // base · (max / P) in float32
        let all: [Float] = (1...padded).map { i in
            let base = Float(i) * step
            return 1 / Float(pow(2, Double(base)))                             // 1.0 / torch.pow(2, base)
        }
        guard padded != heads else { return all }
        let odd = stride(from: 1, to: padded, by: 2).map { all[$0] }             // slopes[1::2]
        let even = stride(from: 0, to: padded, by: 2).map { all[$0] }            // slopes[::2]
        return Array((odd + even).prefix(heads))
    }
}

extension Architecture {
    /// The ALiBi slopes `[H]` where positions are ALiBi biases (`PositionKind.alibi`), else `nil`.
    public var alibiSlopes: [Float]? {
        if case .alibi(let slopes) = position { slopes } else { nil }
    }
}
