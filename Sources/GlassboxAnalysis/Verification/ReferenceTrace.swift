import Foundation
import GlassboxRuntime
import GlassboxTensor

/// A hook-by-hook record of one forward pass written by another implementation (scripts/trace.py
/// runs Hugging Face `transformers` with torch forward hooks), read by `glassbox verify --reference`.
///
/// The file is JSON (docs/cli.md, "The trace format"):
/// ```
/// {"format": "glassbox-trace", "version": 1, "model": {...}, "generator": {...},
///  "input": {"ids": [464, 3290]}                        (or {"pixels": {"shape": [3, H, W], "data": [...]}})
///  "hooks": [{"name": "hook_embed", "shape": [2, 768], "data": [0.1, ...]}, ...]}
/// ```
/// `data` is row-major float32; a non-finite value is the string `"inf"`, `"-inf"` or `"nan"`
/// (masked attention scores are `-inf`). Hooks are in forward order, named as the runtime's.
public struct ReferenceTrace: Sendable {
    /// One hooked tensor.
    public struct Hook: Sendable {
        /// The full hook name (`blocks.0.attn.hook_pattern`).
        public let name: String
        /// The tensor, shape as recorded.
        public let tensor: Tensor
    }

    /// The input the trace ran: token ids (optionally token types) or pixels `[C, H, W]`.
    public let input: ModelInput
    /// The recorded hooks, in the order of the file (forward order).
    public let hooks: [Hook]
    /// What the file says about the model that produced it (free-form text values), for display.
    public let model: [String: String]
    /// What the file says about its generator (script, torch and transformers versions).
    public let generator: [String: String]

    /// Parses a trace from its JSON bytes.
    ///
    /// - Throws: `ReferenceTraceError` naming what is wrong: not JSON, another format or version,
    ///   a hook whose data does not fill its shape, a name used twice, no input.
    public static func decode(_ data: Data) throws -> ReferenceTrace {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let file: TraceFile
        do {
            file = try decoder.decode(TraceFile.self, from: data)
        } catch let error as DecodingError {
            throw ReferenceTraceError.malformed(Self.describe(error))
        }
        guard file.format == "glassbox-trace" else {
            throw ReferenceTraceError.malformed("\"format\" is \(file.format.debugDescription), not \"glassbox-trace\"")
        }
        guard file.version == 1 else { throw ReferenceTraceError.malformed("version \(file.version) is not supported (this build reads 1)") }
        let input: ModelInput
        switch (file.input.ids, file.input.pixels) {
        case (let ids?, nil):
            guard !ids.isEmpty else { throw ReferenceTraceError.malformed("\"input.ids\" is empty") }
            input = .tokens(ids, types: file.input.tokenTypes)
        case (nil, let pixels?):
            input = .pixels(try pixels.tensor(name: "input.pixels"))
        default:
            throw ReferenceTraceError.malformed("\"input\" needs exactly one of \"ids\" and \"pixels\"")
        }
        var seen = Set<String>()
        let hooks = try file.hooks.map { hook in
            guard seen.insert(hook.name).inserted else { throw ReferenceTraceError.malformed("hook \(hook.name) appears twice") }
            return Hook(name: hook.name, tensor: try hook.tensor(name: hook.name))
        }
        guard !hooks.isEmpty else { throw ReferenceTraceError.malformed("the trace has no hooks") }
        return ReferenceTrace(input: input, hooks: hooks, model: file.model ?? [:], generator: file.generator ?? [:])
    }

    private static func describe(_ error: DecodingError) -> String {
        let (context, what): (DecodingError.Context, String) = switch error {
        case .typeMismatch(_, let c): (c, "wrong type")
        case .valueNotFound(_, let c): (c, "missing value")
        case .keyNotFound(let key, let c): (c, "missing key \"\(key.stringValue)\"")
        case .dataCorrupted(let c): (c, "not valid JSON")
        @unknown default: (DecodingError.Context(codingPath: [], debugDescription: ""), "unreadable")
        }
        let path = place(context.codingPath)
        return path.isEmpty ? what : "\(what) at \(path)"
    }

    /// A coding path as the file's reader would write it: `hooks[0].data`.
    static func place(_ codingPath: [CodingKey]) -> String {
        let path = codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
        return path.hasPrefix(".") ? String(path.dropFirst()) : path
    }
}

/// A trace file that cannot be used.
public enum ReferenceTraceError: Error, LocalizedError, Equatable {
    /// The JSON does not have the trace's shape; the text says where.
    case malformed(String)

    /// One line naming the problem.
    public var errorDescription: String? {
        switch self {
        case .malformed(let detail): "the reference trace is not usable: \(detail) (scripts/trace.py writes the format docs/cli.md describes)"
        }
    }
}

/// The file's JSON shape.
private struct TraceFile: Decodable {
    struct Input: Decodable {
        let ids: [Int]?
        let tokenTypes: [Int]?
        let pixels: Array?
    }

    struct Array: Decodable {
        let name: String?
        let shape: [Int]
        let data: Float32Values

        func tensor(name label: String) throws -> Tensor {
            guard shape.allSatisfy({ $0 >= 0 }), shape.count <= 8 else {
                throw ReferenceTraceError.malformed("\(label): shape \(shape) is not a tensor shape")
            }
            // Overflow is checked at every step: a saturated product times a later 0 would be 0
            // and match empty data, and `Tensor.init` would then trap on the product itself.
            var count = 1
            for dim in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw ReferenceTraceError.malformed("\(label): shape \(shape) is too large (its element count overflows)") }
                count = product
            }
            guard count == data.values.count else {
                throw ReferenceTraceError.malformed("\(label): shape \(shape) needs \(count) values, the data has \(data.values.count)")
            }
            return Tensor(shape: shape, storage: data.values)
        }
    }

    struct Hook: Decodable {
        let name: String
        let shape: [Int]
        let data: Float32Values

        func tensor(name label: String) throws -> Tensor { try Array(name: name, shape: shape, data: data).tensor(name: label) }
    }

    let format: String
    let version: Int
    let model: [String: String]?
    let generator: [String: String]?
    let input: Input
    let hooks: [Hook]
}

/// A trace's `data` list: float32 values (non-finite ones as the strings the decoder's strategy
/// names). Read as Double and narrowed, so a finite number float32 cannot hold (1e300) is an error
/// naming its place and value, where Foundation only says "not valid JSON"; a tiny one rounds to
/// 0 as in numpy's float32 conversion.
private struct Float32Values: Decodable {
    let values: [Float]

    init(from decoder: Decoder) throws {
        var list = try decoder.unkeyedContainer()
        var values: [Float] = []
        if let count = list.count { values.reserveCapacity(count) }
        while !list.isAtEnd {
            let index = list.currentIndex
            let value = try list.decode(Double.self)
            let narrowed = Float(value)
            if value.isFinite && !narrowed.isFinite {
                throw ReferenceTraceError.malformed("\(ReferenceTrace.place(decoder.codingPath))[\(index)] is \(value), which float32 cannot hold")
            }
            values.append(narrowed)
        }
        self.values = values
    }
}
