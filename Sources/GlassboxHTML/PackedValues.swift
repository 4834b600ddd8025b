import Foundation

/// Compact encodings of the large arrays a page carries, decoded by the page script only when a
/// view needs them (a layer's attention when that layer is first shown).
public enum PackedValues {
    /// Attention weights (0…1) of `heads` heads over `n` positions as base64 bytes, one byte per
    /// weight: `round(255·√w)`, decoded as `(b/255)²`. The square root keeps small weights apart
    /// (the smallest non-zero step is 1/255² ≈ 1.5e-5, so the 1/2,048 of a uniform row at 2,048
    /// tokens survives) at an error of at most about 0.004 near 1. Row-major by head, query, key;
    /// with `causal`, row `i` keeps only keys `0…i` (the rest are zero by the mask), so a head
    /// takes n(n+1)/2 bytes instead of n². A weight that is NaN or ±∞ is refused (it has no byte;
    /// drawn as 0 it would be a weight the model did not give); one just outside [0, 1] (rounding)
    /// is clamped.
    ///
    /// - Parameter weights: `[heads, n, n]` row-major.
    public static func attention(_ weights: UnsafeBufferPointer<Float>, heads: Int, n: Int, causal: Bool) throws -> String {
        guard weights.count == heads * n * n else {
            throw HTMLError.invalidInput("attention data holds \(weights.count) weights for \(heads) heads × \(n)² positions")
        }
        let perHead = causal ? n * (n + 1) / 2 : n * n
        var bytes = [UInt8](repeating: 0, count: heads * perHead)
        var out = 0
        for h in 0..<heads {
            for i in 0..<n {
                let row = weights.baseAddress! + (h * n + i) * n
                for j in 0..<(causal ? i + 1 : n) {
                    let w = row[j]
                    guard w.isFinite else {
                        throw HTMLError.invalidInput("the attention weight of head \(h), query \(i), key \(j) is \(w), not a number a page can show")
                    }
                    bytes[out] = UInt8((min(max(w, 0), 1).squareRoot() * 255).rounded())
                    out += 1
                }
            }
        }
        return Data(bytes).base64EncodedString()
    }

    /// `values` as base64 of little-endian float32 (vectors the neuron view shows exactly).
    public static func float32(_ values: [Float]) -> String {
        var data = Data(capacity: values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data.base64EncodedString()
    }
}
