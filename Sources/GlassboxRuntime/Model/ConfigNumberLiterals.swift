import Foundation
import GlassboxFiles

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

    /// Scans `data` (``JSONLexer``'s tokens); a text that is not strict JSON gives the literals
    /// found before the problem.
    init(_ data: Data) {
        bytes = [UInt8](data)
        var lexer = JSONLexer(bytes)
        var path: [String] = []
        // Per open container: whether it is an array, and the next array index.
        var containers: [(isArray: Bool, index: Int)] = []
        var expectingKey = false
        scan: while case let token = lexer.next(), token.kind != .end {
            switch token.kind {
            case .beginObject, .beginArray:
                let isArray = token.kind == .beginArray
                containers.append((isArray, 0))
                path.append(isArray ? "0" : "")
                expectingKey = !isArray
            case .endObject, .endArray:
                guard !containers.isEmpty else { break scan }
                containers.removeLast()
                path.removeLast()
            case .comma:
                if let last = containers.last {
                    if last.isArray {
                        containers[containers.count - 1].index += 1
                        path[path.count - 1] = String(last.index + 1)
                    } else {
                        expectingKey = true
                    }
                }
            case .string where expectingKey && !path.isEmpty:
                path[path.count - 1] = JSONString.text(token, in: bytes) ?? String(decoding: bytes[token.range], as: UTF8.self)
                expectingKey = false
            case .number:
                literals.append(Literal(path: path.joined(separator: "."), range: token.range,
                                        text: String(decoding: bytes[token.range], as: UTF8.self)))
            default:
                break
            }
        }
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
