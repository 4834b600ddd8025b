import Foundation
import GlassboxTensor
import XCTest
@testable import GlassboxModelIO

/// The F16 conversion kernels (`HalfPrecision`, C) in every variant this CPU runs — F16C where
/// available and the portable bit arithmetic, forced with `KernelVariant.using` — against naive
/// references: `Float32Conversion.naiveF16` for reading, and for writing a rounding done in Double
/// (the nearest multiple of the half's ulp, ties to even).
final class HalfPrecisionTests: XCTestCase {
    func testF16ToFloatMatchesNaiveOnAllBitPatternsInEveryVariant() {
        let all = (0...UInt16.max).map { $0 }
        let raw = [UInt8](repeating: 0, count: 1) + SafetensorsImage.bytes(of: all)     // odd address
        var results: [KernelVariant: [Float]] = [:]
        for variant in KernelVariant.supported {
            var out = [Float](repeating: 0, count: all.count)
            raw.withUnsafeBytes { bytes in
                out.withUnsafeMutableBufferPointer { destination in
                    KernelVariant.using(variant) {
                        HalfPrecision.f16ToFloat(bytes.baseAddress! + 1, count: all.count, into: destination.baseAddress!)
                    }
                }
            }
            var mismatches = 0
            for (bits, value) in zip(all, out) {
                let expected = Float32Conversion.naiveF16(bits)
                if !((value.isNaN && expected.isNaN) || value.bitPattern == expected.bitPattern) {
                    if mismatches < 5 { XCTFail("\(variant) 0x\(String(bits, radix: 16)): \(value) vs \(expected)") }
                    mismatches += 1
                }
            }
            XCTAssertEqual(mismatches, 0, "\(variant)")
            results[variant] = out
        }
        // The variants agree bit for bit, NaN payloads included (all quiet).
        if let fast = results[.avx2], let portable = results[.portable] {
            XCTAssertEqual(fast.map(\.bitPattern), portable.map(\.bitPattern))
        }
    }

    func testFloatToF16RoundsToNearestEvenInEveryVariant() {
        var values: [Float] = [0, -0.0, 1, -2.5, 65504, 65519.996, 65520, 65536, 1e10, .infinity, -.infinity,
                               .greatestFiniteMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude,
                               0x1p-24, 0x1p-25, 0x1.8p-25, 0x1p-26, 0x1p-14, 0x1.ffcp-15, 6.1e-5]
        // Every half value, and every midpoint between neighbours (exactly representable as Float).
        for bits in UInt16(0)..<0x7C00 {
            let v = Float32Conversion.naiveF16(bits)
            values += [v, -v]
            if bits < 0x7BFF { values.append((v + Float32Conversion.naiveF16(bits + 1)) / 2) }
        }
        var rng = SplitMix64(seed: 5)
        for _ in 0..<200_000 {
            let v = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            if !v.isNaN { values.append(v) }
        }
        var results: [KernelVariant: [UInt16]] = [:]
        for variant in KernelVariant.supported {
            var out = [UInt16](repeating: 0, count: values.count)
            values.withUnsafeBufferPointer { source in
                out.withUnsafeMutableBufferPointer { destination in
                    KernelVariant.using(variant) { HalfPrecision.f16Bits(source, into: destination) }
                }
            }
            var mismatches = 0
            for (value, bits) in zip(values, out) where bits != Self.naiveF16Bits(value) {
                if mismatches < 5 {
                    XCTFail("\(variant) \(value): 0x\(String(bits, radix: 16)) vs 0x\(String(Self.naiveF16Bits(value), radix: 16))")
                }
                mismatches += 1
            }
            XCTAssertEqual(mismatches, 0, "\(variant)")
            results[variant] = out
        }
        if let fast = results[.avx2], let portable = results[.portable] {
            XCTAssertEqual(fast, portable)
        }
    }

    /// NaN stays NaN with its sign, quiet, keeping the top 10 payload bits, in every variant.
    /// F8_E5M2 → Float32 (binary16's top byte through the F16 reference) against field arithmetic on
    /// all 256 patterns: zeros, subnormals (m/4 · 2^-14), normals up to 57344, ±inf, NaN (in order,
    /// then reversed at an odd address: the conversion is a 256-entry table built once from the F16 kernel).
    func testE5M2ToFloatMatchesFieldArithmeticOnAllBitPatterns() {
        let bytes = (0...255).map(UInt8.init)
        var out = [Float](repeating: 0, count: 256)
        XCTAssertTrue(bytes.withUnsafeBytes { Float32Conversion.convert(.f8E5M2, from: $0.baseAddress!, count: 256, into: &out) })
        for b in bytes {
            let expected = Float32Conversion.naiveE5M2(b)
            if expected.isNaN { XCTAssertTrue(out[Int(b)].isNaN, "\(b)") } else { XCTAssertEqual(out[Int(b)], expected, "\(b)") }
        }
        XCTAssertEqual(out[0x01], 0x1p-16)            // smallest subnormal
        XCTAssertEqual(out[0x3C], 1)                   // exponent 15, mantissa 0
        XCTAssertEqual(out[0x7B], 57344)               // largest finite
        XCTAssertEqual(out[0x7C], .infinity)
        XCTAssertEqual(out[0xC2], -3)                  // −1.5 · 2
        // The table lookup follows each byte, not its position: the patterns reversed, from an odd address.
        let reversed: [UInt8] = [0] + bytes.reversed()
        XCTAssertTrue(reversed.withUnsafeBytes { Float32Conversion.convert(.f8E5M2, from: $0.baseAddress! + 1, count: 256, into: &out) })
        for (i, b) in bytes.reversed().enumerated() {
            let expected = Float32Conversion.naiveE5M2(b)
            if expected.isNaN { XCTAssertTrue(out[i].isNaN, "\(b)") } else { XCTAssertEqual(out[i], expected, "\(b)") }
        }
    }

    func testFloatToF16KeepsNaN() {
        let nans: [Float] = [.nan, -.nan, Float(bitPattern: 0x7FA0_0000), Float(bitPattern: 0x7F80_0001),
                             Float(bitPattern: 0xFFC0_2000)]
        for variant in KernelVariant.supported {
            var out = [UInt16](repeating: 0, count: nans.count)
            nans.withUnsafeBufferPointer { source in
                out.withUnsafeMutableBufferPointer { destination in
                    KernelVariant.using(variant) { HalfPrecision.f16Bits(source, into: destination) }
                }
            }
            for (value, bits) in zip(nans, out) {
                let sign: UInt16 = value.sign == .minus ? 0x8000 : 0
                let payload = UInt16(truncatingIfNeeded: value.bitPattern >> 13) & 0x3FF
                XCTAssertEqual(bits, sign | 0x7E00 | payload, "\(variant) \(String(value.bitPattern, radix: 16))")
            }
        }
    }

    /// Round to nearest even in Double: |v| as a multiple of the half ulp at its exponent
    /// (2^(e − 10), e ≥ −14), rounded; the carry of a rounded-up mantissa runs into the exponent.
    static func naiveF16Bits(_ value: Float) -> UInt16 {
        let sign: UInt16 = value.sign == .minus ? 0x8000 : 0
        let magnitude = Double(value.magnitude)
        if magnitude == 0 { return sign }
        if magnitude >= 65520 { return sign | 0x7C00 }                  // halfway to 2^16 and above: inf
        let e = max(Int(value.exponent), -14)
        let units = (magnitude / Double(sign: .plus, exponent: e - 10, significand: 1)).rounded(.toNearestOrEven)
        return sign | UInt16((e + 15) << 10 + Int(units) - 1024)
    }
}
