import GlassboxRuntime
import GlassboxTensor

/// Reads heads, keys and values out of `Linear` weights in either checkpoint layout
/// (docs/methods.md §0.2): `.inOut` `[in, out]` (GPT-2 `Conv1D`) or `.outIn` `[out, in]` (`nn.Linear`).
/// Everything returned is in the row-vector convention `y = x·W`.
enum WeightSlices {
    /// `[r, c] → [c, r]`.
    static func transpose(_ t: Tensor) -> Tensor {
        precondition(t.rank == 2, "transpose needs a matrix, got \(t.shape)")
        let (r, c) = (t.shape[0], t.shape[1])
        return Tensor(shape: [c, r]) { out in
            t.withUnsafeBufferPointer { src in
                let block = 32
                for i0 in stride(from: 0, to: r, by: block) {
                    for j0 in stride(from: 0, to: c, by: block) {
                        for i in i0..<min(r, i0 + block) {
                            for j in j0..<min(c, j0 + block) { out[j * r + i] = src[i * c + j] }
                        }
                    }
                }
            }
        }
    }

    /// The weight as `[in, out]` (a copy only for `.outIn`).
    static func inOut(_ l: Linear) -> Tensor { l.layout == .inOut ? l.weightFloat32 : transpose(l.weightFloat32) }

    /// The weight as `[out, in]` (a copy only for `.inOut`).
    static func outIn(_ l: Linear) -> Tensor { l.layout == .outIn ? l.weightFloat32 : transpose(l.weightFloat32) }

    /// `W^h [d, dh]`: outputs `h·dh..<(h+1)·dh` of a `d → H·dh` projection (query, key, value).
    static func headReader(_ l: Linear, head h: Int, headDim dh: Int) -> Tensor {
        switch l.layout {
        case .inOut: l.weight.columns(h * dh..<(h + 1) * dh)            // [d, dh]
        case .outIn: transpose(l.weight.rows(h * dh..<(h + 1) * dh))     // [dh, d] → [d, dh]
        }
    }

    /// `W_O^h [dh, d]`: inputs `h·dh..<(h+1)·dh` of an `H·dh → d` projection.
    static func headWriter(_ l: Linear, head h: Int, headDim dh: Int) -> Tensor {
        switch l.layout {
        case .inOut: l.weight.rows(h * dh..<(h + 1) * dh)                // [dh, d]
        case .outIn: transpose(l.weight.columns(h * dh..<(h + 1) * dh))  // [d, dh] → [dh, d]
        }
    }

    /// Column `i` of the `[in, out]` matrix, `[in]`: what output `i` reads (an FFN key).
    static func readerVector(_ l: Linear, output i: Int) -> [Float] {
        switch l.layout {
        case .inOut: l.weight.columns(i..<(i + 1)).storage
        case .outIn: l.weight.row(i).storage
        }
    }

    /// Row `i` of the `[in, out]` matrix, `[out]`: what input `i` writes (an FFN value).
    static func writerVector(_ l: Linear, input i: Int) -> [Float] {
        switch l.layout {
        case .inOut: l.weight.row(i).storage
        case .outIn: l.weight.columns(i..<(i + 1)).storage
        }
    }

    /// Rows `rows` of the `[in, out]` matrix as `[rows.count, out]` (a block of FFN values).
    static func writerRows(_ l: Linear, _ rows: [Int]) -> Tensor {
        switch l.layout {
        case .inOut: return l.weight.gatherRows(rows)
        case .outIn:
            let out = l.weight.shape[0]
            return Tensor(shape: [rows.count, out], storage: rows.flatMap { i in l.weight.columns(i..<(i + 1)).storage })
        }
    }

    /// Rows `outputs` of the `[out, in]` matrix as `[outputs.count, in]` (a block of FFN keys).
    static func readerRows(_ l: Linear, _ outputs: [Int]) -> Tensor {
        switch l.layout {
        case .outIn: return l.weight.gatherRows(outputs)
        case .inOut:
            let inputs = l.weight.shape[0]
            return Tensor(shape: [outputs.count, inputs], storage: outputs.flatMap { o in l.weight.columns(o..<(o + 1)).storage })
        }
    }

    /// Dot product in Double.
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Double {
        var s = 0.0
        for i in 0..<n { s += Double(a[i]) * Double(b[i]) }
        return s
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "dot: \(a.count) ≠ \(b.count)")
        guard !a.isEmpty else { return 0 }
        return a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in dot(ap.baseAddress!, bp.baseAddress!, a.count) } }
    }
}
