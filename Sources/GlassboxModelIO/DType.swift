/// An element type of the safetensors format, spelled as in the file header (`"F32"`, `"BF16"`, …).
///
/// Every dtype the format defines is listed so that a header naming one of them is *understood*
/// even when the loader cannot convert it (FP8, BOOL): such tensors fail with
/// ``ModelIOError/unsupportedDType(file:tensor:dtype:)`` instead of "unknown dtype".
public enum DType: String, Sendable, CaseIterable, Equatable, Hashable {
    /// IEEE 754 binary64, 8 bytes.
    case f64 = "F64"
    /// IEEE 754 binary32, 4 bytes.
    case f32 = "F32"
    /// IEEE 754 binary16 (half), 2 bytes.
    case f16 = "F16"
    /// bfloat16 (the top 16 bits of a binary32), 2 bytes.
    case bf16 = "BF16"
    /// Signed 64-bit integer.
    case i64 = "I64"
    /// Signed 32-bit integer.
    case i32 = "I32"
    /// Signed 16-bit integer.
    case i16 = "I16"
    /// Signed 8-bit integer.
    case i8 = "I8"
    /// Unsigned 8-bit integer.
    case u8 = "U8"
    /// Unsigned 16-bit integer.
    case u16 = "U16"
    /// Unsigned 32-bit integer.
    case u32 = "U32"
    /// Unsigned 64-bit integer.
    case u64 = "U64"
    /// Boolean, 1 byte; not convertible to Float32.
    case bool = "BOOL"
    /// 8-bit float, 4 exponent and 3 mantissa bits; not convertible to Float32.
    case f8E4M3 = "F8_E4M3"
    /// 8-bit float, 5 exponent and 2 mantissa bits; not convertible to Float32.
    case f8E5M2 = "F8_E5M2"

    /// Parses a header dtype string; an unknown string throws
    /// ``ModelIOError/unknownDType(file:tensor:dtype:)`` carrying `file` and `tensor` for context.
    public init(parsing name: String, file: String = "", tensor: String = "") throws {
        guard let dtype = DType(rawValue: name) else {
            throw ModelIOError.unknownDType(file: file, tensor: tensor, dtype: name)
        }
        self = dtype
    }

    /// Bytes per element on disk.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .i8, .u8, .bool, .f8E4M3, .f8E5M2: 1
        }
    }

    /// Whether ``SafetensorsFile/tensor(_:)`` can convert this dtype to Float32.
    ///
    /// Floating types and integers convert (integers above 2^24 in magnitude round), F8_E5M2
    /// exactly (binary16's top byte, as transformers 4.53.3 upcasts it to float32); F8_E4M3 and BOOL
    /// do not (transformers keeps an F8_E4M3 weight as float8 and its forward fails; a silent guess
    /// would be worse than an error).
    public var isConvertibleToFloat32: Bool {
        switch self {
        case .bool, .f8E4M3: false
        default: true
        }
    }

    /// Whether this is a floating-point dtype (F64, F32, F16, BF16 and the FP8 types): the only
    /// dtypes a model *weight* may have. Integer and BOOL tensors convert to Float32 as data
    /// (``isConvertibleToFloat32``) but are refused as weights at load, as transformers 4.53.3
    /// refuses them (an `nn.Parameter` must be floating point; scripts/fixtures/generate_stored_dtypes.py).
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16, .f8E4M3, .f8E5M2: true
        default: false
        }
    }

    /// The dtypes ``SafetensorsFile/write(_:metadata:dtype:to:)`` can produce.
    public static let writable: [DType] = [.f32, .f16, .bf16]
}
