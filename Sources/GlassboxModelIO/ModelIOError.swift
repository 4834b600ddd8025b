import Foundation

/// Everything that can go wrong finding, opening, validating or writing model files.
///
/// Each case carries the file (a path) and, where one is involved, the tensor name, so that
/// `errorDescription` reads as a single line that says what is wrong, where, and what to do.
public enum ModelIOError: Error, LocalizedError, Equatable, Sendable {
    // MARK: Safetensors files

    /// The file could not be opened, inspected or mapped (`reason` is the system's message).
    case cannotOpen(file: String, reason: String)
    /// The file is shorter than the 8-byte header length.
    case fileTooShort(file: String, size: Int)
    /// The header length runs past the end of the file or exceeds ``SafetensorsFile/maxHeaderLength``.
    case headerLengthOutOfRange(file: String, headerLength: UInt64, fileSize: Int)
    /// The header lists more than ``SafetensorsFile/maxTensorCount`` tensors (`count` counted
    /// before parsing it, as the objects in the header, `__metadata__` included; or the entries
    /// parsed, when only one object more than the limit was counted).
    case tooManyTensors(file: String, count: Int)
    /// The data section runs on past the end of the last tensor (`dataEnd`): bytes no header entry
    /// describes, which the reference library rejects.
    case trailingBytes(file: String, dataEnd: Int, dataSize: Int)
    /// The header bytes are not valid UTF-8 JSON.
    case headerNotJSON(file: String, detail: String)
    /// The header is valid JSON but not an object (`found` names the JSON kind).
    case headerNotObject(file: String, found: String)
    /// `__metadata__` is not an object of strings.
    case invalidMetadata(file: String, detail: String)
    /// A tensor's header entry is not a JSON object.
    case entryNotObject(file: String, tensor: String, found: String)
    /// A tensor's header entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(file: String, tensor: String, field: String)
    /// A tensor's `dtype`, `shape` or `data_offsets` has the wrong JSON type or arity.
    case invalidField(file: String, tensor: String, field: String, detail: String)
    /// A tensor's shape has a negative dimension.
    case negativeDimension(file: String, tensor: String, shape: [Int])
    /// A tensor's element count or byte size overflows `Int`.
    case shapeOverflow(file: String, tensor: String, shape: [Int])
    /// A tensor's dtype string is not a safetensors dtype.
    case unknownDType(file: String, tensor: String, dtype: String)
    /// A tensor's `data_offsets` begin after they end.
    case offsetsReversed(file: String, tensor: String, begin: Int, end: Int)
    /// A tensor's `data_offsets` end past the data section.
    case offsetsOutOfRange(file: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    /// A tensor's `data_offsets` span a different number of bytes than shape × dtype size.
    case byteSizeMismatch(file: String, tensor: String, dtype: DType, shape: [Int], expected: Int, actual: Int)
    /// Bytes `previousEnd..<start` of the data section belong to no tensor (a gap before `tensor`,
    /// after `previous`, or before the first tensor when `previous` is nil).
    case gapBeforeTensor(file: String, tensor: String, start: Int, previousEnd: Int, previous: String?)
    /// Two tensors' byte ranges (relative to the data section) overlap.
    case overlappingTensors(file: String, tensor: String, range: Range<Int>, other: String, otherRange: Range<Int>)
    /// The tensor's dtype is a valid safetensors dtype that cannot be converted to Float32.
    case unsupportedDType(file: String, tensor: String, dtype: DType)
    /// The tensor holds `count` NaN or ±Inf values among `total` (checked once at load).
    case nonFiniteValues(file: String, tensor: String, count: Int, total: Int)
    /// No tensor of that name; `available` is how many exist, `similar` a few near names.
    case tensorNotFound(file: String, tensor: String, available: Int, similar: [String])

    // MARK: Writing

    /// A tensor name cannot be written (duplicate, empty, or `__metadata__`).
    case invalidTensorName(file: String, tensor: String, reason: String)
    /// Creating, writing or renaming the output failed.
    case writeFailed(file: String, reason: String)

    // MARK: Checkpoints

    /// The folder has PyTorch pickles but no safetensors.
    case pytorchOnly(directory: String, files: [String])
    /// The folder has no weight files at all.
    case noWeights(directory: String, contents: [String])
    /// `model.safetensors.index.json` is unreadable or not `{"weight_map": {tensor: shard}}`.
    case malformedIndex(file: String, detail: String)
    /// A shard named by the index does not exist.
    case shardNotFound(index: String, shard: String, tensor: String)
    /// The index places a tensor in a shard that does not contain it.
    case tensorMissingFromShard(index: String, shard: String, tensor: String)

    // MARK: Model directories

    /// A `--model` path that does not exist.
    case pathNotFound(path: String)
    /// A `--model` path that is a file, not a folder.
    case notAFolder(path: String)
    /// A model folder without `config.json`; `contents` lists what it holds.
    case missingConfig(folder: String, contents: [String])
    /// A Hugging Face id that is neither a local folder nor in any searched cache folder.
    case modelNotInCache(id: String, searched: [String])
    /// A cached model's `refs/main` (`file`) is not a revision name (`content`, quoted) and no
    /// snapshot holds config.json to fall back on.
    case malformedCacheRef(file: String, content: String)

    /// One readable line naming the file, folder or tensor and the likely cause.
    public var errorDescription: String? {
        switch self {
        case let .cannotOpen(file, reason):
            return "cannot open '\(file)': \(reason)"
        case let .fileTooShort(file, size):
            return "'\(file)' is not a safetensors file: it has \(size) bytes, fewer than the 8-byte header "
                + "length (truncated download?)"
        case let .headerLengthOutOfRange(file, headerLength, fileSize):
            return "'\(file)': header length \(headerLength) bytes does not fit in the \(fileSize)-byte file "
                + "(limit \(SafetensorsFile.maxHeaderLength)); the file is truncated or not safetensors"
        case let .tooManyTensors(file, count):
            return "'\(file)': the header lists \(count) tensors, more than \(SafetensorsFile.maxTensorCount) in one file; "
                + "the file is corrupt or not a model checkpoint"
        case let .trailingBytes(file, dataEnd, dataSize):
            return "'\(file)': \(dataSize - dataEnd) byte(s) after the last tensor (which ends at data offset \(dataEnd) "
                + "of \(dataSize)); the file is corrupt or was written by a broken tool"
        case let .headerNotJSON(file, detail):
            return "'\(file)': header is not valid JSON (\(detail)); the file is corrupt or not safetensors"
        case let .headerNotObject(file, found):
            return "'\(file)': header is a JSON \(found), expected an object mapping tensor names to entries"
        case let .invalidMetadata(file, detail):
            return "'\(file)': __metadata__ \(detail); it must be an object of string values"
        case let .entryNotObject(file, tensor, found):
            return "'\(file)': tensor '\(tensor)': header entry is a JSON \(found), expected an object with "
                + "dtype, shape and data_offsets"
        case let .missingField(file, tensor, field):
            return "'\(file)': tensor '\(tensor)': header entry has no '\(field)' (needs dtype, shape and "
                + "data_offsets)"
        case let .invalidField(file, tensor, field, detail):
            return "'\(file)': tensor '\(tensor)': '\(field)' \(detail)"
        case let .negativeDimension(file, tensor, shape):
            return "'\(file)': tensor '\(tensor)': shape \(shape) has a negative dimension"
        case let .shapeOverflow(file, tensor, shape):
            return "'\(file)': tensor '\(tensor)': shape \(shape) is too large (element count or byte size "
                + "overflows)"
        case let .unknownDType(file, tensor, dtype):
            let known = DType.allCases.map(\.rawValue).joined(separator: ", ")
            return "\(Self.place(file, tensor))unknown dtype '\(dtype)' (safetensors dtypes: \(known))"
        case let .offsetsReversed(file, tensor, begin, end):
            return "'\(file)': tensor '\(tensor)': data_offsets [\(begin), \(end)] begin after they end"
        case let .offsetsOutOfRange(file, tensor, begin, end, dataSize):
            return "'\(file)': tensor '\(tensor)': data_offsets [\(begin), \(end)] run past the "
                + "\(dataSize)-byte data section (truncated file?)"
        case let .byteSizeMismatch(file, tensor, dtype, shape, expected, actual):
            return "'\(file)': tensor '\(tensor)': \(dtype.rawValue) shape \(shape) needs \(expected) bytes "
                + "but data_offsets span \(actual)"
        case let .gapBeforeTensor(file, tensor, start, previousEnd, previous):
            return "'\(file)': \(start - previousEnd) byte(s) at data offsets \(previousEnd)..<\(start) belong to no tensor ("
                + (previous.map { "between '\($0)' and '\(tensor)'" } ?? "before the first tensor, '\(tensor)'")
                + "); the file is corrupt or was written by a broken tool"
        case let .overlappingTensors(file, tensor, range, other, otherRange):
            return "'\(file)': tensors '\(tensor)' (bytes \(range.lowerBound)..<\(range.upperBound)) and "
                + "'\(other)' (bytes \(otherRange.lowerBound)..<\(otherRange.upperBound)) overlap"
        case let .unsupportedDType(file, tensor, dtype):
            return "\(Self.place(file, tensor))dtype \(dtype.rawValue) cannot be converted to Float32 "
                + "(weights are read from F32, F16, BF16, F64 or F8_E5M2); re-save the checkpoint as F32, F16 or BF16"
        case let .nonFiniteValues(file, tensor, count, total):
            return "\(Self.place(file, tensor))\(count) of its \(total) values are NaN or ±Inf; the checkpoint is "
                + "corrupt or was saved after a diverged training step (pass --allow-nonfinite to load it anyway "
                + "for inspection)"
        case let .tensorNotFound(file, tensor, available, similar):
            let hint = similar.isEmpty ? "" : "; similar: " + similar.joined(separator: ", ")
            return "'\(file)': no tensor '\(tensor)' among its \(available) tensors\(hint)"
        case let .invalidTensorName(file, tensor, reason):
            return "cannot write '\(file)': tensor name '\(tensor)' \(reason)"
        case let .writeFailed(file, reason):
            return "cannot write '\(file)': \(reason)"
        case let .pytorchOnly(directory, files):
            let list = files.map { "'\(directory)/\($0)'" }.joined(separator: ", ")
            return "'\(directory)' has only PyTorch weights (\(files.joined(separator: ", "))); Glassbox reads "
                + "safetensors only. Convert once with: python -c \"import torch, safetensors.torch as st; "
                + "sd = {}; [sd.update(torch.load(f, map_location='cpu', weights_only=True)) for f in [\(list)]]; "
                + "st.save_file({k: v.contiguous().clone() for k, v in sd.items()}, "
                + "'\(directory)/model.safetensors', metadata={'format': 'pt'})\""
        case let .noWeights(directory, contents):
            return "'\(directory)' has no weights: expected model.safetensors or model.safetensors.index.json "
                + "(folder contains: \(Self.listing(contents)))"
        case let .malformedIndex(file, detail):
            return "'\(file)': malformed sharded-checkpoint index: \(detail); expected "
                + "{\"weight_map\": {tensor name: shard file name}}"
        case let .shardNotFound(index, shard, tensor):
            return "'\(index)': shard '\(shard)' (holding tensor '\(tensor)') is missing from the folder; "
                + "the download is incomplete"
        case let .tensorMissingFromShard(index, shard, tensor):
            return "'\(index)': tensor '\(tensor)' is listed in shard '\(shard)' but that shard does not "
                + "contain it; the index and shards are from different versions"
        case let .pathNotFound(path):
            return "model path '\(path)' does not exist"
        case let .notAFolder(path):
            return "model path '\(path)' is a file; pass the folder that holds config.json and the weights"
        case let .missingConfig(folder, contents):
            return "model folder '\(folder)' has no config.json (it contains: \(Self.listing(contents))); "
                + "pass a Hugging Face model folder"
        case let .malformedCacheRef(file, content):
            return "'\(file)' is malformed: it holds \(content), not a revision name of snapshots/; "
                + "delete the model's cache folder and download it again"
        case let .modelNotInCache(id, searched):
            let folders = searched.map { "'\($0)'" }.joined(separator: ", ")
            return "model '\(id)' is not a local folder and not in the Hugging Face cache (searched: "
                + "\(folders)); Glassbox never downloads: run `huggingface-cli download \(id)` on a machine "
                + "with network, then copy its hub/\(ModelDirectory.cacheFolderName(forID: id)) folder into "
                + "one of those (or set HF_HUB_CACHE)"
        }
    }

    /// `"'file': tensor 't': "`, leaving out whichever part is empty.
    private static func place(_ file: String, _ tensor: String) -> String {
        (file.isEmpty ? "" : "'\(file)': ") + (tensor.isEmpty ? "" : "tensor '\(tensor)': ")
    }

    /// A short listing of folder contents: at most 8 names, then a count.
    private static func listing(_ names: [String]) -> String {
        if names.isEmpty { return "nothing" }
        let head = names.prefix(8).joined(separator: ", ")
        return names.count > 8 ? head + ", … (\(names.count) entries)" : head
    }
}
