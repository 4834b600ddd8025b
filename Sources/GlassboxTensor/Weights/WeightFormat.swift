import Foundation

/// The element type a ``WeightMatrix`` keeps its values in: the checkpoint's own dtype.
///
/// Converting either half format to Float32 is exact (every f16 and bf16 value is a Float32), so a
/// product that converts weights on the fly equals the product with an f32 copy of them.
public enum WeightFormat: String, Sendable, Equatable, CaseIterable {
    /// IEEE binary32.
    case f32
    /// IEEE binary16.
    case f16
    /// bfloat16: the top 16 bits of a binary32.
    case bf16

    /// Bytes per element: 4 or 2.
    public var bytesPerElement: Int { self == .f32 ? 4 : 2 }

    /// Converts `count` little-endian elements at `source` (any alignment) into `destination`.
    ///
    /// f32 is a copy; f16 goes through ``HalfPrecision`` (F16C where the CPU has it); bf16 is a
    /// 16-bit shift the compiler vectorises.
    public func convert(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        switch self {
        case .f32:
            memcpy(destination, source, count * 4)
        case .f16:
            HalfPrecision.f16ToFloat(source, count: count, into: destination)
        case .bf16:
            for i in 0..<count {
                let bits = source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                destination[i] = Float(bitPattern: UInt32(UInt16(littleEndian: bits)) << 16)
            }
        }
    }

    /// The element at `index` (elements, not bytes) of the run at `source`.
    @inline(__always)
    public func element(_ source: UnsafeRawPointer, _ index: Int) -> Float {
        var value: Float = 0
        convert(source + index * bytesPerElement, count: 1, into: &value)
        return value
    }

    /// How many of the `count` elements at `source` are NaN or ±Inf (exponent bits all ones); one
    /// branch-free pass of the C kernels (vectorised).
    public func nonFiniteCount(_ source: UnsafeRawPointer, count: Int) -> Int {
        guard count > 0 else { return 0 }
        let kernels = KernelTable.current
        switch self {
        case .f32: return kernels.countMask32(source, count, mask: 0x7F80_0000)
        case .f16: return kernels.countMask16(source, count, mask: 0x7C00)
        case .bf16: return kernels.countMask16(source, count, mask: 0x7F80)
        }
    }
}
