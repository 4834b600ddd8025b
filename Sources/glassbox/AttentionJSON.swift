import Foundation
import Glassbox

/// `glassbox attention --json` without a boxed number per weight: the patterns, `[layers][heads]
/// [queries][keys]`, are written as text straight from their tensors, a megabyte at a time, and
/// spliced into the rest of the object (which `JSONSerialization` writes as for every command).
/// Boxing them as `[String: Any]` held about 100 bytes per weight (1.6 GB for 16 M weights).
enum AttentionJSON {
    /// Prints `object` with `"attention"` set to `layers`' patterns, keys sorted, then a newline.
    /// Throws `NonFiniteResult` before printing anything when a weight is NaN or ±∞.
    static func print(_ object: [String: Any], layers: [AttentionMaps.Layer]) throws {
        precondition(object["attention"] == nil && object.keys.allSatisfy { $0 > "attention" },
                     "\"attention\" is spliced in first: every other key must sort after it")
        for layer in layers {
            let finite = layer.patterns.withUnsafeBufferPointer { $0.allSatisfy(\.isFinite) }
            guard finite else { throw NonFiniteResult() }
        }
        let rest = try Console.jsonData(object)          // "{…}\n"
        var buffer = TextBuffer()
        buffer.append("{\"attention\":[")
        for (l, layer) in layers.enumerated() {
            if l > 0 { buffer.append(",") }
            let shape = layer.patterns.shape                // [H, queries, keys]
            let (heads, rows, columns) = (shape[0], shape[1], shape[2])
            buffer.append("[")
            layer.patterns.withUnsafeBufferPointer { values in
                for h in 0..<heads {
                    buffer.append(h > 0 ? ",[" : "[")
                    for i in 0..<rows {
                        buffer.append(i > 0 ? ",[" : "[")
                        let base = (h * rows + i) * columns
                        for j in 0..<columns {
                            if j > 0 { buffer.append(",") }
                            buffer.append(number: Double(values[base + j]))
                        }
                        buffer.append("]")
                    }
                    buffer.append("]")
                }
            }
            buffer.append("]")
        }
        buffer.append("]")
        // The rest of the object after its "{": "}" alone when it is empty, else ",key:…}".
        let tail = rest.dropFirst()
        if tail.first != UInt8(ascii: "}") { buffer.append(",") }
        buffer.bytes += tail
        buffer.flush()
    }

    /// Bytes bound for stdout, written out each time a megabyte has gathered.
    private struct TextBuffer {
        var bytes: [UInt8] = []

        init() { bytes.reserveCapacity(1 << 20 + 64) }

        mutating func append(_ text: String) {
            bytes += text.utf8
            if bytes.count >= 1 << 20 { flush() }
        }

        /// A number as `JSONSerialization` writes it: whole values without a fraction.
        mutating func append(number value: Double) {
            if value == value.rounded(), abs(value) < 1e15 { append(String(Int(value))) } else { append(value.description) }
        }

        mutating func flush() {
            bytes.withUnsafeBytes { StandardStreams.writeOut($0) }
            bytes.removeAll(keepingCapacity: true)
        }
    }
}
