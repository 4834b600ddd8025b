extension DType {
    /// `value` as this floating-point storage dtype holds it: rounded to the nearest F16 or BF16
    /// value (ties to even, as torch converts), unchanged for F32, F64 and non-float types. Used
    /// where a model multiplies by a constant "in the model's dtype" (Gemma's `√d` normalizer).
    public func rounded(_ value: Float) -> Float {
        switch self {
        case .f16: return Float(Float16(value))
        case .bf16:
            let bits = value.bitPattern
            return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
        default: return value
        }
    }
}
