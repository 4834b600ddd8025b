/// One tensor's header entry in a safetensors file, after validation.
public struct TensorEntry: Sendable, Equatable, Hashable {
    /// The tensor's key in the header, e.g. `"transformer.h.0.attn.c_attn.weight"`.
    public let name: String
    /// Element type on disk.
    public let dtype: DType
    /// Sizes of each dimension, outermost first; `[]` is a scalar. All dimensions are `>= 0`.
    public let shape: [Int]
    /// Byte range of the tensor's data, relative to the start of the data section (the byte after
    /// the header). `byteRange.count == elementCount * dtype.byteSize`.
    public let byteRange: Range<Int>

    /// An entry from its fields, as listed above; not checked (`SafetensorsFile` validates the
    /// entries it parses).
    public init(name: String, dtype: DType, shape: [Int], byteRange: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
    }

    /// Product of `shape` (1 for a scalar, 0 if any dimension is 0).
    public var elementCount: Int { shape.reduce(1, *) }
}
