import Foundation
import GlassboxFiles

/// The parsed and validated JSON header of a safetensors file.
///
/// Validation is total: any input either yields entries whose byte ranges lie inside a data section
/// of `dataSize` bytes and do not overlap, or throws a ``ModelIOError`` naming `file` and the first
/// offending tensor (in sorted order, so the same file always reports the same tensor).
struct SafetensorsHeader {
    var metadata: [String: String] = [:]
    var entries: [String: TensorEntry] = [:]

    /// Parses and validates the header `bytes`; `maxTensorCount` is
    /// ``SafetensorsFile/maxTensorCount`` but for tests.
    init(bytes: UnsafeRawBufferPointer, dataSize: Int, file: String,
         maxTensorCount: Int = SafetensorsFile.maxTensorCount) throws {
        // Writers pad the header with spaces (some with NULs); JSON tolerates only the former.
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0 || bytes[end - 1] == 0x20 { end -= 1 }
        // Parsing costs a few KB per entry: count the entries first so that a header of millions
        // of one-element tensors is refused before it is parsed. Every entry is an object, however
        // its keys are spelled (`"data\u005foffsets"` is `data_offsets` too), and so is
        // `__metadata__`: one object more than the limit may still be a header at the limit.
        let objects = Self.nestedObjectCount(UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
        guard objects <= maxTensorCount + 1 else { throw ModelIOError.tooManyTensors(file: file, count: objects) }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[0..<end]), options: [.fragmentsAllowed])
        } catch {
            throw ModelIOError.headerNotJSON(file: file, detail: Self.describe(error))
        }
        guard let object = json as? [String: Any] else {
            throw ModelIOError.headerNotObject(file: file, found: Self.kind(of: json))
        }
        let tensorCount = object.count - (object["__metadata__"] == nil ? 0 : 1)
        guard tensorCount <= maxTensorCount else { throw ModelIOError.tooManyTensors(file: file, count: tensorCount) }
        if let value = object["__metadata__"] {
            metadata = try Self.parseMetadata(value, file: file)
        }
        for name in object.keys.sorted() where name != "__metadata__" {
            // `object[name]` is non-nil: `name` came from its keys.
            entries[name] = try Self.parseEntry(object[name] ?? NSNull(), name: name, dataSize: dataSize,
                                                file: file)
        }
        try Self.checkOverlaps(entries.values, file: file)
        let dataEnd = entries.values.map(\.byteRange.upperBound).max() ?? 0
        guard dataEnd == dataSize else { throw ModelIOError.trailingBytes(file: file, dataEnd: dataEnd, dataSize: dataSize) }
    }

    /// How many objects the JSON text holds inside its outermost one: the `{` tokens
    /// (``JSONLexer``), less one.
    static func nestedObjectCount(_ text: UnsafeRawBufferPointer) -> Int {
        var lexer = JSONLexer([UInt8](text))
        var count = 0
        while case let token = lexer.next(), token.kind != .end {
            if token.kind == .beginObject { count += 1 }
        }
        return max(0, count - 1)
    }

    private static func parseMetadata(_ value: Any, file: String) throws -> [String: String] {
        guard let map = value as? [String: Any] else {
            throw ModelIOError.invalidMetadata(file: file, detail: "is a JSON \(kind(of: value))")
        }
        var metadata: [String: String] = [:]
        for (key, item) in map {
            guard let string = item as? String else {
                throw ModelIOError.invalidMetadata(file: file, detail: "value of '\(key)' is a JSON \(kind(of: item))")
            }
            metadata[key] = string
        }
        return metadata
    }

    private static func parseEntry(_ value: Any, name: String, dataSize: Int, file: String) throws -> TensorEntry {
        guard let fields = value as? [String: Any] else {
            throw ModelIOError.entryNotObject(file: file, tensor: name, found: kind(of: value))
        }
        func field(_ key: String) throws -> Any {
            guard let item = fields[key] else {
                throw ModelIOError.missingField(file: file, tensor: name, field: key)
            }
            return item
        }

        let dtypeValue = try field("dtype")
        guard let dtypeName = dtypeValue as? String else {
            throw ModelIOError.invalidField(file: file, tensor: name, field: "dtype",
                                            detail: "must be a string, found a JSON \(kind(of: dtypeValue))")
        }
        let dtype = try DType(parsing: dtypeName, file: file, tensor: name)

        let shapeValue = try field("shape")
        guard let shapeItems = shapeValue as? [Any] else {
            throw ModelIOError.invalidField(file: file, tensor: name, field: "shape",
                                            detail: "must be an array of integers, found a JSON \(kind(of: shapeValue))")
        }
        var shape: [Int] = []
        for item in shapeItems {
            guard let dim = integer(item) else {
                throw ModelIOError.invalidField(file: file, tensor: name, field: "shape",
                                                detail: "must be an array of integers, found \(render(shapeValue))")
            }
            shape.append(dim)
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ModelIOError.negativeDimension(file: file, tensor: name, shape: shape)
        }
        var byteCount = dtype.byteSize
        for dim in shape {
            let (product, overflow) = byteCount.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw ModelIOError.shapeOverflow(file: file, tensor: name, shape: shape) }
            byteCount = product
        }

        let offsetsValue = try field("data_offsets")
        guard let offsetItems = offsetsValue as? [Any], offsetItems.count == 2,
              let begin = integer(offsetItems[0]), let end = integer(offsetItems[1]), begin >= 0, end >= 0
        else {
            throw ModelIOError.invalidField(file: file, tensor: name, field: "data_offsets",
                                            detail: "must be [begin, end] with non-negative integers, found \(render(offsetsValue))")
        }
        guard begin <= end else {
            throw ModelIOError.offsetsReversed(file: file, tensor: name, begin: begin, end: end)
        }
        guard end <= dataSize else {
            throw ModelIOError.offsetsOutOfRange(file: file, tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        guard end - begin == byteCount else {
            throw ModelIOError.byteSizeMismatch(file: file, tensor: name, dtype: dtype, shape: shape,
                                                expected: byteCount, actual: end - begin)
        }
        return TensorEntry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// Throws for the first pair of non-empty tensors whose byte ranges intersect.
    /// The data section must be the tensors end to end, as the `safetensors` library validates
    /// it (sorted by offsets, each tensor starting where the previous one ends, from 0): an overlap
    /// or bytes that belong to no tensor are refused. (The end is checked by the caller.)
    private static func checkOverlaps(_ entries: some Sequence<TensorEntry>, file: String) throws {
        let sorted = entries.sorted {
            ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name)
        }
        var furthest: TensorEntry?  // the earlier tensor reaching furthest
        for entry in sorted {
            let reached = furthest?.byteRange.upperBound ?? 0
            if let previous = furthest, entry.byteRange.lowerBound < reached {
                throw ModelIOError.overlappingTensors(file: file, tensor: previous.name, range: previous.byteRange,
                                                      other: entry.name, otherRange: entry.byteRange)
            }
            if entry.byteRange.lowerBound > reached {
                throw ModelIOError.gapBeforeTensor(file: file, tensor: entry.name, start: entry.byteRange.lowerBound,
                                                   previousEnd: reached, previous: furthest?.name)
            }
            if furthest.map({ entry.byteRange.upperBound >= $0.byteRange.upperBound }) ?? true { furthest = entry }
        }
    }

    // MARK: JSON helpers

    /// A JSON integer as `Int`; `nil` for booleans, fractions, strings and out-of-range numbers.
    /// (Foundation bridges `true` to an NSNumber that `as? Int` accepts, so the ObjC type decides.)
    static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !(value is String) else { return nil }
        let type = String(cString: number.objCType)
        guard type != "c", type != "B", type != "d", type != "f", !(number is NSDecimalNumber) else { return nil }
        return value as? Int
    }

    /// The JSON kind of a parsed value, for messages.
    static func kind(of value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        case is String: return "string"
        case is [Any]: return "array"
        case is [String: Any]: return "object"
        case let number as NSNumber:
            let type = String(cString: number.objCType)
            return type == "c" || type == "B" ? "boolean" : "number"
        default: return "value"
        }
    }

    /// Compact JSON text of a parsed value, truncated for messages.
    static func render(_ value: Any) -> String {
        let text: String
        if JSONSerialization.isValidJSONObject(value),
           let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) {
            text = String(decoding: data, as: UTF8.self)
        } else {
            text = "\(value)"
        }
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }

    /// A parse error's message, reduced to one line.
    static func describe(_ error: Error) -> String {
        let nsError = error as NSError
        let detail = (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
        return detail.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
