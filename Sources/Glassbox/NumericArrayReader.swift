import Foundation

/// Reads the large numeric arrays of a saved result (a sequence explanation's `"matrix"`, an
/// attention result's `"attention"`) straight from the file's bytes into float32, without building
/// a value per number: `JSONDecoder` takes about 17 s and 1 GB for a 5,000 × 5,100 matrix as
/// `[[Double?]]`, this reader well under a second and 4 bytes per cell.
///
/// It accepts only what it reads exactly: a top-level object in which each wanted key appears once,
/// its value a rectangular nested array of JSON numbers (and `null`, read as NaN, where allowed)
/// whose numbers are finite as float32 (`Float32Narrowing`). Anything else returns nil, and the
/// caller reads the file the ordinary way (`JSONDecoder`), which reports malformed input — and a
/// number beyond float32's range, with its place — with its usual messages.
/// Numbers are read as `Double` (correctly rounded, as `JSONDecoder` reads them) and then
/// converted to `Float`, so the values equal the ordinary path's `Float(double)`.
public struct NumericArrayReader {
    /// A nested array read flat: `shape` outermost first, `values` row-major (NaN for null), and the
    /// byte offset of each outermost entry (for re-reading one row in double precision).
    public struct Array: Sendable {
        /// Sizes, outermost first (`[rows, columns]` for a matrix).
        public let shape: [Int]
        /// `shape.reduce(1, *)` values, row-major; NaN where the file has `null`.
        public let values: [Float]
        /// Byte offset in the file of each outermost entry's first byte.
        public let rowOffsets: [Int]
    }

    private let bytes: UnsafeRawBufferPointer
    private var i = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The byte range of the value of each key of `keys` present at the top level of the object in
    /// `data`; nil when `data` is not an object this reader can walk or a wanted key appears twice.
    public static func topLevelValues(_ data: Data, keys: Set<String>) -> [String: Range<Int>]? {
        data.withUnsafeBytes { raw in
            var reader = NumericArrayReader(raw)
            return reader.topLevel(Set(keys.map { Swift.Array($0.utf8) }))
        }
    }

    /// The nested array at `range` of `data` (from `topLevelValues`), or nil when it is not a
    /// rectangular array of numbers finite as float32 (and nulls, with `allowNull`), at least one deep and
    /// with no empty array.
    public static func array(_ data: Data, at range: Range<Int>, allowNull: Bool) -> Array? {
        data.withUnsafeBytes { raw in
            var reader = NumericArrayReader(raw)
            reader.i = range.lowerBound
            // Room for the most values the range can hold (a digit and a comma each): reserved,
            // not touched, so memory grows only as values are stored, and never by copying.
            return reader.nested(allowNull: allowNull, capacity: range.count / 2 + 1)
        }
    }

    /// The flat array of numbers and nulls starting at `offset` (a `rowOffsets` entry) in double
    /// precision, nil for null; nil when it is not such an array.
    public static func row(_ data: Data, at offset: Int) -> [Double?]? {
        data.withUnsafeBytes { raw in
            var reader = NumericArrayReader(raw)
            reader.i = offset
            guard reader.take(UInt8(ascii: "[")) else { return nil }
            var row: [Double?] = []
            reader.skipSpace()
            if reader.take(UInt8(ascii: "]")) { return row }
            while true {
                reader.skipSpace()
                if reader.takeNull() { row.append(nil) } else if let v = reader.number() { row.append(v) } else { return nil }
                reader.skipSpace()
                if reader.take(UInt8(ascii: "]")) { return row }
                guard reader.take(UInt8(ascii: ",")) else { return nil }
            }
        }
    }

    /// `data` with the values at `ranges` (from `topLevelValues`) replaced by `[]`, for decoding
    /// the rest of the document with `JSONDecoder`.
    public static func removing(_ ranges: [Range<Int>], from data: Data) -> Data {
        var out = Data(), start = data.startIndex
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            out.append(data[start..<(data.startIndex + range.lowerBound)])
            out.append(contentsOf: Swift.Array("[]".utf8))
            start = data.startIndex + range.upperBound
        }
        out.append(data[start...])
        return out
    }

    // MARK: scanning

    private var atEnd: Bool { i >= bytes.count }
    private var byte: UInt8 { bytes[i] }

    private mutating func skipSpace() {
        while !atEnd, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { i += 1 }
    }

    private mutating func take(_ b: UInt8) -> Bool {
        guard !atEnd, byte == b else { return false }
        i += 1
        return true
    }

    private mutating func takeNull() -> Bool {
        guard i + 4 <= bytes.count, bytes[i] == UInt8(ascii: "n"), bytes[i + 1] == UInt8(ascii: "u"),
              bytes[i + 2] == UInt8(ascii: "l"), bytes[i + 3] == UInt8(ascii: "l") else { return false }
        i += 4
        return true
    }

    /// Skips a string starting at its opening quote; false when it does not end.
    private mutating func skipString() -> Bool {
        i += 1
        while !atEnd {
            switch byte {
            case UInt8(ascii: "\""): i += 1; return true
            case UInt8(ascii: "\\"): i += 2
            default: i += 1
            }
        }
        return false
    }

    /// Skips any value (strings and brackets matched, scalars up to the next delimiter); the
    /// document is validated later by `JSONDecoder`.
    private mutating func skipValue() -> Bool {
        guard !atEnd else { return false }
        switch byte {
        case UInt8(ascii: "\""): return skipString()
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            var depth = 0
            while !atEnd {
                switch byte {
                case UInt8(ascii: "\""): guard skipString() else { return false }; continue
                case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    depth -= 1
                    if depth == 0 { i += 1; return true }
                default: break
                }
                i += 1
            }
            return false
        default:
            let start = i
            while !atEnd, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09].contains(byte) { i += 1 }
            return i > start
        }
    }

    private mutating func topLevel(_ keys: Set<[UInt8]>) -> [String: Range<Int>]? {
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return nil }
        var found: [String: Range<Int>] = [:]
        skipSpace()
        if take(UInt8(ascii: "}")) { return found }
        while true {
            skipSpace()
            guard !atEnd, byte == UInt8(ascii: "\"") else { return nil }
            let keyStart = i + 1
            guard skipString() else { return nil }
            let key = Swift.Array(bytes[keyStart..<(i - 1)])
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            let valueStart = i
            guard skipValue() else { return nil }
            if keys.contains(key) {
                let name = String(decoding: key, as: UTF8.self)
                guard found[name] == nil else { return nil }
                found[name] = valueStart..<i
            }
            skipSpace()
            if take(UInt8(ascii: "}")) { return found }
            guard take(UInt8(ascii: ",")) else { return nil }
        }
    }

    private mutating func nested(allowNull: Bool, capacity: Int) -> Array? {
        var shape: [Int] = [], leafLevel: Int?, values: [Float] = [], rows: [Int] = []
        values.reserveCapacity(capacity)
        func level(_ depth: Int, _ r: inout NumericArrayReader) -> Bool {
            guard r.take(UInt8(ascii: "[")) else { return false }
            var count = 0
            while true {
                r.skipSpace()
                if depth == 0 { rows.append(r.i) }
                if !r.atEnd, r.byte == UInt8(ascii: "[") {
                    guard leafLevel != depth, depth < 8 else { return false }
                    if shape.count == depth + 1 { shape.append(0) }
                    guard level(depth + 1, &r) else { return false }
                } else {
                    if leafLevel == nil { leafLevel = depth }
                    guard leafLevel == depth else { return false }
                    if allowNull, r.takeNull() {
                        values.append(.nan)
                    } else if let v = r.number(), let narrowed = Float32Narrowing.narrow(v) {
                        values.append(narrowed)
                    } else { return false }
                }
                count += 1
                r.skipSpace()
                if r.take(UInt8(ascii: "]")) { break }
                guard r.take(UInt8(ascii: ",")) else { return false }
            }
            if shape[depth] == 0 { shape[depth] = count }
            return shape[depth] == count
        }
        shape = [0]
        guard level(0, &self), leafLevel == shape.count - 1, shape.allSatisfy({ $0 > 0 }),
              values.count == shape.reduce(1, *) else { return nil }
        return Array(shape: shape, values: values, rowOffsets: rows)
    }

    /// A JSON number (RFC 8259 grammar) as a finite `Double`, or nil.
    private mutating func number() -> Double? {
        let start = i
        // Up to 15 significant digits are gathered exactly; more go to `strtod`.
        var mantissa: UInt64 = 0, significant = 0, fractionDigits = 0
        func digit(_ d: UInt8, fraction: Bool) {
            guard significant <= 15 else { return }
            mantissa = mantissa * 10 + UInt64(d - 0x30)
            if mantissa != 0 { significant += 1 }
            if fraction { fractionDigits += 1 }
        }
        let negative = take(UInt8(ascii: "-"))
        guard !atEnd else { return nil }
        if byte == UInt8(ascii: "0") {
            i += 1
        } else {
            guard byte >= 0x31 && byte <= 0x39 else { return nil }
            while !atEnd, byte >= 0x30 && byte <= 0x39 { digit(byte, fraction: false); i += 1 }
        }
        if take(UInt8(ascii: ".")) {
            let fractionStart = i
            while !atEnd, byte >= 0x30 && byte <= 0x39 { digit(byte, fraction: true); i += 1 }
            guard i > fractionStart else { return nil }
        }
        var exponent = 0
        if !atEnd, byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            i += 1
            let sign = take(UInt8(ascii: "-")) ? -1 : 1
            if sign == 1 { _ = take(UInt8(ascii: "+")) }
            let exponentStart = i
            while !atEnd, byte >= 0x30 && byte <= 0x39 { exponent = min(exponent * 10 + Int(byte - 0x30), 100_000); i += 1 }
            guard i > exponentStart else { return nil }
            exponent *= sign
        }
        // Exact fast path (Clinger 1990, "How to read floating point numbers accurately"): a
        // mantissa of at most 15 digits and an exactly representable power of ten, one correctly
        // rounded operation.
        let power = exponent - fractionDigits
        if significant <= 15, abs(power) <= 22 {
            let m = Double(mantissa), p = Self.powersOfTen[abs(power)]
            let value = power < 0 ? m / p : m * p
            return negative ? -value : value
        }
        var text = Swift.Array(bytes[start..<i])
        text.append(0)
        let value = text.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { strtod($0, nil) }
        }
        return value.isFinite ? value : nil
    }

    private static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }
}
