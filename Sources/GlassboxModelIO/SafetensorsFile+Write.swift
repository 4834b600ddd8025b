import Foundation
import GlassboxTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SafetensorsFile {
    /// Writes `tensors` (in the given order, packed without gaps) as a safetensors file that the
    /// Python library reads back, storing each as `dtype` (F32, F16 or BF16; half formats round to
    /// nearest even).
    ///
    /// The header is compact JSON with sorted keys, padded with spaces to a multiple of 8 bytes as
    /// the reference implementation does; `metadata` becomes `__metadata__` when non-empty. The file
    /// appears atomically: it is written to a temporary file in the same folder, then renamed.
    public static func write(_ tensors: [(String, Tensor)], metadata: [String: String] = [:],
                             dtype: DType = .f32, to url: URL) throws {
        let path = url.path
        guard DType.writable.contains(dtype) else {
            throw ModelIOError.unsupportedDType(file: path, tensor: tensors.first?.0 ?? "", dtype: dtype)
        }
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, tensor) in tensors {
            guard name != "__metadata__" else {
                throw ModelIOError.invalidTensorName(file: path, tensor: name, reason: "is reserved for metadata")
            }
            guard header[name] == nil else {
                throw ModelIOError.invalidTensorName(file: path, tensor: name, reason: "appears twice")
            }
            let size = tensor.count * dtype.byteSize
            header[name] = ["dtype": dtype.rawValue, "shape": tensor.shape, "data_offsets": [offset, offset + size]]
            offset += size
        }
        var headerBytes: Data
        do {
            headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw ModelIOError.writeFailed(file: path, reason: "cannot encode header: \(error.localizedDescription)")
        }
        headerBytes.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8))

        var output = Data(capacity: 8 + headerBytes.count + offset)
        Swift.withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { output.append(contentsOf: $0) }
        output.append(headerBytes)
        for (_, tensor) in tensors {
            appendData(of: tensor, as: dtype, to: &output)
        }
        try writeAtomically(output, to: url)
    }

    /// Appends `tensor`'s elements as little-endian `dtype` (F32, F16 or BF16).
    private static func appendData(of tensor: Tensor, as dtype: DType, to output: inout Data) {
        tensor.withUnsafeBufferPointer { values in
            switch dtype {
            case .f16, .bf16:
                var half = [UInt16](repeating: 0, count: values.count)
                half.withUnsafeMutableBufferPointer { out in
                    if dtype == .f16 {
                        Float32Conversion.f16Bits(values, into: out)
                    } else {
                        Float32Conversion.bf16Bits(values, into: out)
                    }
                }
                half.withUnsafeBytes { output.append(contentsOf: $0) }
            default:
                output.append(contentsOf: UnsafeRawBufferPointer(values))
            }
        }
    }

    /// Writes `data` to a temporary file beside `url`, then renames it over `url`.
    private static func writeAtomically(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ModelIOError.writeFailed(file: url.path, reason: error.localizedDescription)
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ModelIOError.writeFailed(file: url.path, reason: "rename failed: \(reason)")
        }
    }
}
