extension NaiveKernels {
    // MARK: Weight matrices in their stored format

    /// Element `[r, c]` of `w`, decoded from its raw bits by field arithmetic (not by
    /// ``WeightFormat/convert(_:count:into:)``): the oracle for the conversions.
    public static func element(_ w: WeightMatrix, _ r: Int, _ c: Int) -> Float {
        w.withBase { base in
            let p = base + (r * w.rowStride + c) * w.format.bytesPerElement
            switch w.format {
            case .f32:
                return Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
            case .f16, .bf16:
                let bits = UInt16(littleEndian: p.loadUnaligned(as: UInt16.self))
                let (exponentBits, mantissaBits, bias) = w.format == .f16 ? (5, 10, 15) : (8, 7, 127)
                let sign: Float = bits & 0x8000 != 0 ? -1 : 1
                let exponent = Int(bits >> mantissaBits) & ((1 << exponentBits) - 1)
                let mantissa = Float(Int(bits) & ((1 << mantissaBits) - 1))
                let scale = Float(1 << mantissaBits)
                if exponent == 0 { return sign * mantissa / scale * Float(sign: .plus, exponent: 1 - bias, significand: 1) }
                if exponent == (1 << exponentBits) - 1 { return mantissa == 0 ? sign * .infinity : .nan }
                return sign * (1 + mantissa / scale) * Float(sign: .plus, exponent: exponent - bias, significand: 1)
            }
        }
    }

    /// `y[m, n] = a[m, k] · W (+ bias[n])`, `W [k, n]` or `[n, k]` when `transposeB`, every weight
    /// decoded by ``element(_:_:_:)``; Double accumulation. The oracle for
    /// `matmul(_:_:transposeB:bias:)` with a ``WeightMatrix``.
    public static func matmul(_ a: Tensor, _ w: WeightMatrix, transposeB: Bool = false, bias: Tensor? = nil) -> Tensor {
        let k = a.dim(-1)
        let m = a.shape.dropLast().reduce(1, *)
        let n = transposeB ? w.rowCount : w.columnCount
        precondition((transposeB ? w.columnCount : w.rowCount) == k)
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = bias.map { Double($0.storage[j]) } ?? 0
                for p in 0..<k {
                    let wv = transposeB ? element(w, j, p) : element(w, p, j)
                    s += Double(a.storage[i * k + p]) * Double(wv)
                }
                y[i * n + j] = Float(s)
            }
        }
        return Tensor(shape: Array(a.shape.dropLast()) + [n], storage: y)
    }
}
