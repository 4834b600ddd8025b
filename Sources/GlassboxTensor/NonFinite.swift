/// Counting NaN and ±Inf: one branch-free pass over the bits (exponent all ones), which the
/// compiler vectorises. Used once per weight at load and on activations during a run.
public enum NonFinite {
    /// How many of `values` are NaN or ±Inf.
    public static func count(_ values: UnsafeBufferPointer<Float>) -> Int {
        guard let base = values.baseAddress else { return 0 }
        let bits = UnsafeRawPointer(base).assumingMemoryBound(to: UInt32.self)
        var total = 0
        var i = 0
        // Blocks of 4096 with a 32-bit counter so the inner loop stays in vector lanes.
        while i < values.count {
            let end = min(i + 4096, values.count)
            var block: UInt32 = 0
            for j in i..<end { block &+= (bits[j] & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0 }
            total += Int(block)
            i = end
        }
        return total
    }

    /// How many of the tensor's values are NaN or ±Inf.
    public static func count(_ tensor: Tensor) -> Int {
        tensor.storage.withUnsafeBufferPointer { count($0) }
    }

    /// How many values are NaN or +Inf (−Inf, the mark of a masked attention score, is allowed).
    public static func countExceptNegativeInfinity(_ tensor: Tensor) -> Int {
        tensor.storage.withUnsafeBufferPointer { values in
            var total = 0
            for x in values where x.isNaN || x == .infinity { total += 1 }
            return total
        }
    }
}
