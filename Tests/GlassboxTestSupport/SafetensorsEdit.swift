import Foundation

/// Edits a safetensors file's bytes: tensors replaced or added with raw little-endian bytes in any
/// dtype (integer, BOOL, FP8 — what `SafetensorsFile.write` does not produce), the others copied
/// byte for byte, offsets recomputed, `__metadata__` kept.
public enum SafetensorsEdit {
    /// One tensor to write: its safetensors dtype name (`"I8"`), shape and raw bytes.
    public struct Stored {
        public let dtype: String
        public let shape: [Int]
        public let bytes: Data
        public init(dtype: String, shape: [Int], bytes: Data) {
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }
    }

    /// `file` (a whole safetensors file) with each tensor of `tensors` set (replaced or added).
    public static func setting(_ tensors: [String: Stored], in file: Data) throws -> Data {
        let file = Data(file)  // indices from 0
        let length = file.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard let header = try JSONSerialization.jsonObject(with: file.subdata(in: 8..<(8 + length))) as? [String: Any]
        else { throw CocoaError(.fileReadCorruptFile) }
        let body = file.subdata(in: (8 + length)..<file.count)
        var entries: [String: Any] = [:]
        var payload = Data()
        let names = Set(header.keys).union(tensors.keys).subtracting(["__metadata__"]).sorted()
        for name in names {
            let chunk: Data
            var entry: [String: Any]
            if let stored = tensors[name] {
                chunk = stored.bytes
                entry = ["dtype": stored.dtype, "shape": stored.shape]
            } else {
                guard let old = header[name] as? [String: Any], let offsets = old["data_offsets"] as? [Int]
                else { throw CocoaError(.fileReadCorruptFile) }
                chunk = body.subdata(in: offsets[0]..<offsets[1])
                entry = old
            }
            entry["data_offsets"] = [payload.count, payload.count + chunk.count]
            payload.append(chunk)
            entries[name] = entry
        }
        if let metadata = header["__metadata__"] { entries["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: entries, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        let size = UInt64(json.count)
        return Data((0..<8).map { UInt8(truncatingIfNeeded: size >> (8 * $0)) }) + json + payload
    }
}
