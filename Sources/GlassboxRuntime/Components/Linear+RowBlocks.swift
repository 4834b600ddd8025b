import GlassboxTensor

extension Linear {
    /// The output rows `b·width ..< (b+1)·width` of an `[out, in]` layer (weight and bias) for each
    /// block index `b` of `blocks`, stacked in that order → a `[blocks.count · width, in]` layer.
    /// Splits a fused projection into its parts: GPT-NeoX's and Falcon's `query_key_value`.
    func rowBlocks(_ blocks: [Int], width: Int) -> Linear {
        precondition(layout == .outIn, "row blocks of an [out, in] layer")
        let weight = weight.stackingRows(blocks.map { ($0 * width)..<(($0 + 1) * width) })
        let bias = bias.map { b in
            Tensor(shape: [blocks.count * width]) { out in
                b.withUnsafeBufferPointer { src in
                    for (i, block) in blocks.enumerated() {
                        (out.baseAddress! + i * width).update(from: src.baseAddress! + block * width, count: width)
                    }
                }
            }
        }
        return Linear(weight: weight, layout: .outIn, bias: bias)
    }
}
