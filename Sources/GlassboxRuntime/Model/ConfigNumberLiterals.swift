import Foundation

/// The number literals of a strict JSON document, each with its place (`"rope_scaling.factor"`,
/// `"eos_token_id.1"`) and byte range, found in one pass; and the document with some of them
/// replaced. `ConfigDecoding` uses them to find which field Foundation's keyless "not valid JSON"
/// is about, in a few decodes rather than one per number.
struct ConfigNumberLiterals {
    /// One number as written.
    struct Literal {
        /// Keys and array indices from the top level, joined with `.`.
        let path: String
        /// Where the literal sits in the document.
        let range: Range<Int>
        /// The literal as written (`1.5`, `1e39`).
        let text: String
    }

    /// Every number literal, in document order.
    private(set) var literals: [Literal] = []
    private let bytes: [UInt8]

    /// Scans `data`; a text that is not strict JSON gives the literals found before the problem.
    init(_ data: Data) {
        bytes = [UInt8](data)
        var i = 0
        var path: [String] = []
        // Per open container: whether it is an array, and the next array index.
        var containers: [(isArray: Bool, index: Int)] = []
        var expectingKey = false
        func skipString() -> Range<Int> {
            let start = i
            i += 1
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
            i += 1
            return start..<min(i, bytes.count)
        }
        scan: while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isArray = byte == UInt8(ascii: "[")
                containers.append((isArray, 0))
                path.append(isArray ? "0" : "")
                expectingKey = !isArray
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard !containers.isEmpty else { break scan }
                containers.removeLast()
                path.removeLast()
                i += 1
            case UInt8(ascii: ","):
                if let last = containers.last {
                    if last.isArray {
                        containers[containers.count - 1].index += 1
                        path[path.count - 1] = String(last.index + 1)
                    } else {
                        expectingKey = true
                    }
                }
                i += 1
            case UInt8(ascii: "\""):
                let range = skipString()
                if expectingKey, !path.isEmpty {
                    path[path.count - 1] = Self.key(bytes[range])
                    expectingKey = false
                }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = i
                while i < bytes.count, "+-.eE0123456789".utf8.contains(bytes[i]) { i += 1 }
                literals.append(Literal(path: path.joined(separator: "."), range: start..<i,
                                        text: String(decoding: bytes[start..<i], as: UTF8.self)))
            default:
                i += 1
            }
        }
    }

    /// A key's text with its escapes resolved.
    private static func key(_ quoted: ArraySlice<UInt8>) -> String {
        guard quoted.contains(UInt8(ascii: "\\")) else { return String(decoding: quoted.dropFirst().dropLast(), as: UTF8.self) }
        return (try? JSONSerialization.jsonObject(with: Data(quoted), options: [.fragmentsAllowed])) as? String
            ?? String(decoding: quoted, as: UTF8.self)
    }

    /// The document with the literals at the given indices (into `literals`) replaced by their
    /// texts (`1`, `0.5`), one pass.
    func replacing(_ replacements: [Int: String]) -> Data {
        var output = Data()
        output.reserveCapacity(bytes.count)
        var from = 0
        for (index, replacement) in replacements.sorted(by: { $0.key < $1.key }) {
            let range = literals[index].range
            output.append(contentsOf: bytes[from..<range.lowerBound])
            output.append(contentsOf: replacement.utf8)
            from = range.upperBound
        }
        output.append(contentsOf: bytes[from...])
        return output
    }
}
