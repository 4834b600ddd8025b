import GlassboxTensor

/// A replacement of part of one activation inside a suffix pass: the values some rows and columns
/// of a hook point take instead of the ones the pass computes (activation patching, docs/methods.md
/// §10). `forwardSuffixes` applies it where the plain forward fires the matching hook, so an item
/// carrying it equals a plain `forward` whose intervention at that hook splices the same values in.
///
/// The activation is seen as a matrix `[n, width]`, one row per position: `hook_resid_pre`,
/// `hook_attn_out` and `hook_mlp_out` are `[n, d]`; `attn.hook_q` and `attn.hook_z` are
/// `[n, H, dh]` read as `[n, H·dh]`, and `attn.hook_k`, `attn.hook_v` are `[n, Hkv, dh]` read as
/// `[n, Hkv·dh]` (head `h` is columns `h·dh..<(h+1)·dh`). `q` and `k` are patched before the rotary
/// embedding, as their hooks fire.
public struct ActivationPatch: Sendable, Equatable {
    /// The hook points a suffix pass can patch.
    public enum Site: String, Sendable, Equatable, CaseIterable {
        /// `blocks.l.hook_resid_pre` `[n, d]`.
        case residPre = "resid_pre"
        /// `blocks.l.attn.hook_q` `[n, H, dh]` (before RoPE).
        case q
        /// `blocks.l.attn.hook_k` `[n, Hkv, dh]` (before RoPE).
        case k
        /// `blocks.l.attn.hook_v` `[n, Hkv, dh]`.
        case v
        /// `blocks.l.attn.hook_z` `[n, H, dh]`.
        case z
        /// `blocks.l.hook_attn_out` `[n, d]`.
        case attnOut = "attn_out"
        /// `blocks.l.hook_mlp_out` `[n, d]`.
        case mlpOut = "mlp_out"

        /// The block site of the hook this patch replaces.
        public var blockSite: BlockSite {
            switch self {
            case .residPre: .residPre
            case .q: .q
            case .k: .k
            case .v: .v
            case .z: .z
            case .attnOut: .attnOut
            case .mlpOut: .mlpOut
            }
        }

        /// Columns of one row of this site in `arch` (`d`, `H·dh` or `Hkv·dh`).
        public func width(_ arch: Architecture) -> Int {
            switch self {
            case .residPre, .attnOut, .mlpOut: arch.dModel
            case .q, .z: arch.heads * arch.headDim
            case .k, .v: arch.kvHeads * arch.headDim
            }
        }
    }

    /// The block the patched hook belongs to.
    public let layer: Int
    /// Which hook of the block.
    public let site: Site
    /// The patched positions (rows), ascending and distinct.
    public let positions: [Int]
    /// The patched columns of each row.
    public let columns: Range<Int>
    /// `[positions.count, columns.count]`: the values spliced in.
    public let values: Tensor

    /// A patch of `positions` × `columns` of `site` in block `layer` by `values`
    /// `[positions.count, columns.count]` (shapes and ranges are checked when the batch runs).
    public init(layer: Int, site: Site, positions: [Int], columns: Range<Int>, values: Tensor) {
        (self.layer, self.site, self.positions, self.columns, self.values) = (layer, site, positions, columns, values)
    }

    /// The patch that copies `positions` × `columns` out of `source`, the whole activation
    /// `[n, width]` (or `[n, heads, dh]`) of the same site in another run.
    public init(layer: Int, site: Site, positions: [Int], columns: Range<Int>, from source: Tensor) {
        let width = source.count / max(source.shape[0], 1)
        let values = Tensor(shape: [positions.count, columns.count]) { out in
            source.withUnsafeBufferPointer { src in
                for (r, p) in positions.enumerated() {
                    for (c, j) in columns.enumerated() { out[r * columns.count + c] = src[p * width + j] }
                }
            }
        }
        self.init(layer: layer, site: site, positions: positions, columns: columns, values: values)
    }

    /// Writes the patch into `rows` `[R, width]`, where position `p` is row `rowOf(p)` (nil: the row
    /// is not computed here, so nothing is written).
    func apply(to rows: inout Tensor, rowOf: (Int) -> Int?) {
        let width = rows.count / max(rows.shape[0], 1), m = columns.count
        rows.withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { src in
                for (r, p) in positions.enumerated() {
                    guard let row = rowOf(p) else { continue }
                    for c in 0..<m { out[row * width + columns.lowerBound + c] = src[r * m + c] }
                }
            }
        }
    }

    /// Splices the patch into a whole activation at its hook (`[n, …]`, rows are positions): the
    /// hook-path equivalent of what `forwardSuffixes` does.
    public func splice(into activation: Tensor) -> Tensor {
        var out = activation
        apply(to: &out) { $0 }
        return out
    }
}
