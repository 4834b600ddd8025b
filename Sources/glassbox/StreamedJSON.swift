import Foundation

/// One JSON object on stdout whose largest member, an array, is written element by element instead
/// of being built as Foundation objects first (`tokenize --json` of a long prompt: hundreds of
/// thousands of token objects would otherwise take about 1–2 KB of memory per prompt byte).
///
/// The rest of the object goes through ``Console/jsonData(_:)`` as usual (sorted keys), with a
/// placeholder string where the array belongs; the placeholder is then replaced, in the output
/// only, by the streamed elements. Elements are written with sorted keys, as `Console.json` writes.
enum StreamedJSON {
    /// The placeholder value: found in the output only as `"key":"…"`, which no string value can
    /// contain unescaped.
    private static let placeholder = "glassbox-streamed-array"

    /// Writes `object` with `object[key]` replaced by the array of `count` elements that
    /// `element(i, &buffer)` appends to `buffer` as JSON text, then a newline.
    static func write(_ object: [String: Any], streaming key: String, count: Int,
                      element: (Int, inout [UInt8]) -> Void) throws {
        var object = object
        object[key] = placeholder
        let whole = try Console.jsonData(object)
        let marker = Data(("\"" + key + "\":\"" + placeholder + "\"").utf8)
        guard let found = whole.range(of: marker) else {
            preconditionFailure("StreamedJSON: the placeholder of \(key) is missing from the output")
        }
        let keyLength = Data(("\"" + key + "\":").utf8).count
        Console.write(whole[whole.startIndex..<(found.lowerBound + keyLength)])
        var buffer: [UInt8] = [UInt8(ascii: "[")]
        buffer.reserveCapacity(1 << 20)
        for i in 0..<count {
            if i > 0 { buffer.append(UInt8(ascii: ",")) }
            element(i, &buffer)
            if buffer.count >= 1 << 20 {
                Console.write(Data(buffer))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        buffer.append(UInt8(ascii: "]"))
        Console.write(Data(buffer))
        Console.write(whole[found.upperBound...])
    }

    /// Appends `text` as a JSON string: `"` and `\` escaped, control characters as `\n`, `\t`, … or
    /// `\u00XX`, everything else (`/` included) as its UTF-8 bytes, as `Console.json` writes strings.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0..<0x20: out.append(contentsOf: Array(String(format: "\\u%04x", byte).utf8))
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends an integer, or `null` for nil.
    static func appendInt(_ value: Int?, to out: inout [UInt8]) {
        out.append(contentsOf: Array((value.map(String.init) ?? "null").utf8))
    }
}
