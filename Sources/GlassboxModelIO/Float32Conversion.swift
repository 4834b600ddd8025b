import Foundation
import GlassboxTensor

/// Conversions between on-disk element types and Float32.
///
/// Sources are mapped file bytes at arbitrary alignment. F16 goes through GlassboxTensor's
/// `HalfPrecision` (C kernels: F16C's `vcvtph2ps` when the CPU has it, chosen at run time; the
/// package is compiled for baseline x86-64, where Swift's `Float16` conversion is a slow library
/// call). The other types are plain indexed loops of `loadUnaligned` reads, which the compiler
/// vectorizes (BF16 is a shift: as fast as a copy without any CPU extension). A naive bit-level
/// reference for each half format sits beside it and is tested against it on all 65,536 patterns.
enum Float32Conversion {
    /// Converts `count` little-endian elements of `dtype` at `source` (any alignment) into
    /// `destination`. Returns `false`, writing nothing, for dtypes without a Float32 conversion.
    @discardableResult
    static func convert(_ dtype: DType, from source: UnsafeRawPointer, count: Int,
                        into destination: UnsafeMutablePointer<Float>) -> Bool {
        switch dtype {
        case .f32: memcpy(destination, source, count * 4)
        case .f16: HalfPrecision.f16ToFloat(source, count: count, into: destination)
        case .bf16: convertElements(source, count, destination, UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
        case .f64: convertElements(source, count, destination, Double.self) { Float($0) }
        case .i64: convertElements(source, count, destination, Int64.self) { Float($0) }
        case .i32: convertElements(source, count, destination, Int32.self) { Float($0) }
        case .i16: convertElements(source, count, destination, Int16.self) { Float($0) }
        case .i8: convertElements(source, count, destination, Int8.self) { Float($0) }
        case .u64: convertElements(source, count, destination, UInt64.self) { Float($0) }
        case .u32: convertElements(source, count, destination, UInt32.self) { Float($0) }
        case .u16: convertElements(source, count, destination, UInt16.self) { Float($0) }
        case .u8: convertElements(source, count, destination, UInt8.self) { Float($0) }
        // F8_E5M2 is binary16's top byte (1 sign, 5 exponent, 2 mantissa bits, bias 15): a table lookup.
        case .f8E5M2:
            e5m2Table.withUnsafeBufferPointer { table in
                convertElements(source, count, destination, UInt8.self) { table[Int($0)] }
            }
        case .bool, .f8E4M3: return false
        }
        return true
    }

    /// The Float32 value of each of the 256 F8_E5M2 patterns, built once: byte `b` is the binary16
    /// `b << 8` (same sign, exponent and bias, the 2 mantissa bits on top, the rest 0), converted
    /// exactly by the F16 kernel. Checked against ``naiveE5M2(_:)``'s field arithmetic on all 256.
    private static let e5m2Table: [Float] = {
        let halves = (0...255).map { UInt16($0) << 8 }
        var table = [Float](repeating: 0, count: 256)
        halves.withUnsafeBytes { HalfPrecision.f16ToFloat($0.baseAddress!, count: 256, into: &table) }
        return table
    }()

    /// Maps `count` elements of `S` read at `source` (any alignment) through `element`.
    @inline(__always)
    private static func convertElements<S: BitwiseCopyable>(
        _ source: UnsafeRawPointer, _ count: Int, _ destination: UnsafeMutablePointer<Float>,
        _: S.Type, _ element: (S) -> Float
    ) {
        let stride = MemoryLayout<S>.stride
        for i in 0..<count {
            destination[i] = element(source.loadUnaligned(fromByteOffset: i * stride, as: S.self))
        }
    }

    // MARK: Float32 → half, for writing

    /// Float32 → IEEE binary16 bits, round to nearest even (overflow → ±inf, NaN stays NaN), by
    /// `HalfPrecision` (F16C's `vcvtps2ph` when the CPU has it).
    static func f16Bits(_ values: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<UInt16>) {
        HalfPrecision.f16Bits(values, into: out)
    }

    /// Float32 → bfloat16 bits, round to nearest even; NaNs stay quiet NaNs of the same sign.
    static func bf16Bits(_ values: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<UInt16>) {
        for i in 0..<min(values.count, out.count) { out[i] = bf16Bits(values[i]) }
    }

    @inline(__always)
    static func bf16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    // MARK: Naive references

    /// Binary16 bits → Float32 by field arithmetic; the reference for the `HalfPrecision` kernels.
    static func naiveF16(_ bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = Float(bits & 0x3FF)
        switch exponent {
        case 0: return sign * mantissa * 0x1p-24                       // zero or subnormal
        case 31: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * (1 + mantissa / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }

    /// F8_E5M2 bits → Float32 by field arithmetic (1 sign, 5 exponent bits of bias 15, 2 mantissa
    /// bits; exponent 31 is ±inf or NaN, as binary16's); the reference for the F16 route.
    static func naiveE5M2(_ bits: UInt8) -> Float {
        let sign: Float = bits & 0x80 != 0 ? -1 : 1
        let exponent = Int((bits >> 2) & 0x1F)
        let mantissa = Float(bits & 0x3)
        switch exponent {
        case 0: return sign * mantissa * 0x1p-16                       // zero or subnormal: m/4 · 2^-14
        case 31: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * (1 + mantissa / 4) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }

    /// Bfloat16 bits → Float32 by field arithmetic; the reference for the shift.
    static func naiveBF16(_ bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 7) & 0xFF)
        let mantissa = Float(bits & 0x7F)
        switch exponent {
        case 0: return sign * mantissa * 0x1p-133
        case 255: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * (1 + mantissa / 128) * Float(sign: .plus, exponent: exponent - 127, significand: 1)
        }
    }
}
