import Foundation
import GlassboxTensor

/// A memory-mapped, fully validated `.safetensors` file.
///
/// Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian header length `N`,
/// `N` bytes of UTF-8 JSON mapping tensor names to `{"dtype", "shape", "data_offsets": [begin, end]}`
/// (plus an optional `"__metadata__"` string map), then the data section, which offsets are
/// relative to. Every entry is checked at open time (dtype known, shape non-negative and not
/// overflowing, offsets in range and matching shape × dtype size, no two tensors overlapping), so a
/// successfully opened file never reads out of bounds. Gaps between tensors and zero-size tensors
/// are allowed. Data need not be aligned: the header length may be any value.
///
/// The mapping lives as long as the object (and as long as any ``WeightMatrix`` read from it);
/// tensors are copied out (and converted to Float32) by ``tensor(_:)``, or read in place by
/// ``matrix(_:)``. Immutable after `init`, hence `Sendable`.
public final class SafetensorsFile: @unchecked Sendable {
    /// Largest header accepted, in bytes (the reference implementation's limit).
    public static let maxHeaderLength = 100_000_000
    /// Most tensors accepted in one file's header. Real checkpoints hold thousands per file (the
    /// largest models tens of thousands in all, split over shards); parsing a header costs a few KB
    /// per entry, so a 47 MB header of 600,000 one-element tensors once used 2.5 GB before the
    /// "unused weights" error.
    public static let maxTensorCount = 250_000

    /// The file that was opened.
    public let url: URL
    /// The `__metadata__` map (empty if absent), e.g. `["format": "pt"]`.
    public let metadata: [String: String]
    /// Length of the JSON header in bytes (`N`); the data section starts at byte `8 + N`.
    public let headerLength: Int
    /// Size of the data section in bytes.
    public let dataSize: Int

    private let mapping: MappedFile
    private let entries: [String: TensorEntry]

    /// Opens, maps and validates `url`; throws ``ModelIOError`` naming the file (and the tensor,
    /// if one is at fault) for anything malformed.
    public init(url: URL) throws {
        let path = url.path
        let mapping = try MappedFile(path: path, minimumSize: 8)
        let bytes = mapping.bytes
        let declared = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard declared <= UInt64(Self.maxHeaderLength), Int(declared) <= bytes.count - 8 else {
            throw ModelIOError.headerLengthOutOfRange(file: path, headerLength: declared, fileSize: bytes.count)
        }
        let headerLength = Int(declared)
        let dataSize = bytes.count - 8 - headerLength
        let header = try SafetensorsHeader(
            bytes: UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)]),
            dataSize: dataSize, file: path)
        self.url = url
        self.mapping = mapping
        self.headerLength = headerLength
        self.dataSize = dataSize
        self.metadata = header.metadata
        self.entries = header.entries
    }

    /// All tensor names, sorted.
    public var tensorNames: [String] { entries.keys.sorted() }

    /// The validated header entry of `name`, or `nil` if the file has no such tensor.
    public func entry(_ name: String) -> TensorEntry? { entries[name] }

    /// Tensor `name` as Float32, with the shape stored in the file.
    ///
    /// F32 is copied; F16, BF16, F64 and integer types are converted (integers beyond ±2^24 round).
    /// Throws ``ModelIOError/tensorNotFound(file:tensor:available:similar:)`` or
    /// ``ModelIOError/unsupportedDType(file:tensor:dtype:)`` (FP8, BOOL).
    public func tensor(_ name: String) throws -> Tensor {
        let entry = try requireEntry(name)
        guard entry.dtype.isConvertibleToFloat32 else {
            throw ModelIOError.unsupportedDType(file: url.path, tensor: name, dtype: entry.dtype)
        }
        let source = dataStart + entry.byteRange.lowerBound
        return Tensor(shape: entry.shape) { destination in
            guard let out = destination.baseAddress else { return }  // zero elements
            Float32Conversion.convert(entry.dtype, from: source, count: destination.count, into: out)
        }
    }

    /// Tensor `name` as a ``WeightMatrix`` in the file's own dtype, read in place from the mapping
    /// (no copy): `[shape[0], product of the rest]` (a rank-0 or rank-1 tensor is one row).
    ///
    /// F16 and BF16 stay as they are; F32 is read in place when its data is 4-byte aligned in the
    /// file (safetensors writers pad the header to a multiple of 8, so it normally is), else copied.
    /// Other dtypes are converted to an f32 copy as ``tensor(_:)`` does. The matrix keeps the
    /// mapping alive.
    public func matrix(_ name: String) throws -> WeightMatrix {
        let entry = try requireEntry(name)
        let rows = entry.shape.count >= 2 ? entry.shape[0] : 1
        let columns = entry.shape.count >= 2 ? entry.shape.dropFirst().reduce(1, *) : entry.shape.reduce(1, *)
        let source = dataStart + entry.byteRange.lowerBound
        let format: WeightFormat
        switch entry.dtype {
        case .f16: format = .f16
        case .bf16: format = .bf16
        case .f32 where Int(bitPattern: source) % 4 == 0: format = .f32
        default: return WeightMatrix(try tensor(name).reshaped([rows, columns]))
        }
        return WeightMatrix(rows: rows, columns: columns, format: format, base: source, owner: mapping)
    }

    /// Calls `body` with the raw on-disk bytes of tensor `name` (little-endian, possibly unaligned,
    /// `entry.byteRange.count` bytes). The pointer is valid only during the call.
    public func withUnsafeBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let entry = try requireEntry(name)
        return try body(UnsafeRawBufferPointer(start: dataStart + entry.byteRange.lowerBound,
                                               count: entry.byteRange.count))
    }

    private var dataStart: UnsafeRawPointer { mapping.base + 8 + headerLength }

    private func requireEntry(_ name: String) throws -> TensorEntry {
        guard let entry = entries[name] else {
            throw ModelIOError.tensorNotFound(file: url.path, tensor: name, available: entries.count,
                                              similar: similarNames(to: name, in: entries.keys))
        }
        return entry
    }
}

/// Up to three names that plausibly meant `name`: one is a dotted suffix of the other
/// (`h.0.ln_1.weight` vs `transformer.h.0.ln_1.weight`), else they share the last two components.
func similarNames(to name: String, in names: some Sequence<String>) -> [String] {
    let parts = name.split(separator: ".")
    let tail = parts.suffix(2).joined(separator: ".")
    let suffixMatches = names.filter { $0.hasSuffix("." + name) || name.hasSuffix("." + $0) }
    if !suffixMatches.isEmpty { return Array(suffixMatches.sorted().prefix(3)) }
    guard !tail.isEmpty else { return [] }
    return Array(names.filter { $0 == tail || $0.hasSuffix("." + tail) }.sorted().prefix(3))
}
