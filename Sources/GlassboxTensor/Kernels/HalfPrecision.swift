/// IEEE binary16 (F16) ↔ Float32 conversion for checkpoints, by the C kernels of the current
/// ``KernelVariant``: the F16C instructions (`vcvtph2ps`, `vcvtps2ph`) when the CPU has them, else
/// exact bit arithmetic that gives the same bits (checked on all 2^16 halves and 2^32 floats).
///
/// Bfloat16 needs no kernel (a 16-bit shift; ModelIO's `Float32Conversion`).
public enum HalfPrecision {
    /// Converts `count` little-endian binary16 values at `source` (any alignment) to Float32, exactly.
    ///
    /// - Parameters:
    ///   - source: `2 · count` bytes.
    ///   - count: the number of values.
    ///   - destination: room for `count` floats. NaNs come back quiet with their payload.
    public static func f16ToFloat(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        KernelTable.current.f16ToF32(source, destination, count)
    }

    /// Float32 → binary16 bits, round to nearest even; values beyond the half range become ±inf,
    /// NaN becomes a quiet NaN with the top 10 payload bits.
    ///
    /// - Parameters:
    ///   - values: the floats to convert.
    ///   - out: receives `min(values.count, out.count)` bit patterns.
    public static func f16Bits(_ values: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<UInt16>) {
        let n = min(values.count, out.count)
        guard n > 0, let source = values.baseAddress, let destination = out.baseAddress else { return }
        KernelTable.current.f32ToF16(source, destination, n)
    }
}
