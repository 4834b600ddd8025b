/// UTF-8 decoding and encoding of single scalars over byte buffers (the input is always valid
/// UTF-8: it comes from a Swift `String`).
enum UTF8Decoding {
    /// The scalar starting at `i` and its length in bytes.
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (Unicode.Scalar, Int) {
        let b0 = UInt32(bytes[i])
        if b0 < 0x80 { return (Unicode.Scalar(UInt8(b0)), 1) }
        if b0 < 0xE0 {
            let v = (b0 & 0x1F) << 6 | (UInt32(bytes[i + 1]) & 0x3F)
            return (Unicode.Scalar(v) ?? "\u{FFFD}", 2)
        }
        if b0 < 0xF0 {
            let v = (b0 & 0x0F) << 12 | (UInt32(bytes[i + 1]) & 0x3F) << 6 | (UInt32(bytes[i + 2]) & 0x3F)
            return (Unicode.Scalar(v) ?? "\u{FFFD}", 3)
        }
        let v = (b0 & 0x07) << 18 | (UInt32(bytes[i + 1]) & 0x3F) << 12 | (UInt32(bytes[i + 2]) & 0x3F) << 6
            | (UInt32(bytes[i + 3]) & 0x3F)
        return (Unicode.Scalar(v) ?? "\u{FFFD}", 4)
    }

    /// The length in bytes of the scalar whose first byte is `b`.
    @inline(__always)
    static func length(leadByte b: UInt8) -> Int {
        b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
    }

    @inline(__always)
    static func length(of s: Unicode.Scalar) -> Int {
        s.value < 0x80 ? 1 : s.value < 0x800 ? 2 : s.value < 0x10000 ? 3 : 4
    }

    @inline(__always)
    static func append(_ s: Unicode.Scalar, to out: inout [UInt8]) {
        let v = s.value
        if v < 0x80 {
            out.append(UInt8(v))
        } else if v < 0x800 {
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        } else {
            out.append(UInt8(0xF0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    /// The scalars of `bytes` (valid UTF-8) and the byte offset of each (one more entry: the
    /// total length).
    static func scalarsWithOffsets(_ bytes: UnsafeBufferPointer<UInt8>) -> ([Unicode.Scalar], [Int32]) {
        var scalars: [Unicode.Scalar] = []
        var offsets: [Int32] = []
        scalars.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                scalars.append(Unicode.Scalar(b))
                offsets.append(Int32(i))
                i += 1
                continue
            }
            let (s, n) = decode(bytes, at: i)
            scalars.append(s)
            offsets.append(Int32(i))
            i += n
        }
        offsets.append(Int32(bytes.count))
        return (scalars, offsets)
    }
}
