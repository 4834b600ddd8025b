import GlassboxRuntime
import GlassboxTensor

/// One patched site: which rows and columns of which hook are replaced (docs/methods.md §10.1).
/// The activation is read as `[rows, width]` with rows the first axis (positions, or heads for
/// `[H, n, n]` attention tensors).
struct PatchingCell: Sendable {
    /// The hook point patched.
    let point: HookPoint
    /// The replaced rows, ascending.
    let rows: [Int]
    /// The replaced columns of each row.
    let columns: Range<Int>
    /// The suffix engine's site for this hook (nil: hook path only).
    let engineSite: ActivationPatch.Site?

    /// The patch for the suffix engine, values from `source` (the whole activation in the source run).
    func enginePatch(source: Tensor) -> ActivationPatch? {
        guard let site = engineSite, let layer = point.layer else { return nil }
        return ActivationPatch(layer: layer, site: site, positions: rows, columns: columns, from: source)
    }

    /// `activation` with this cell's rows × columns taken from `source` (same shape).
    func splice(_ activation: Tensor, from source: Tensor) -> Tensor {
        let width = activation.count / max(activation.shape[0], 1)
        var out = activation
        out.withUnsafeMutableBufferPointer { o in
            source.withUnsafeBufferPointer { s in
                for r in rows { for c in columns { o[r * width + c] = s[r * width + c] } }
            }
        }
        return out
    }

    /// The cells of one kind, in row-major map order, with the map's shape.
    ///
    /// - Parameters:
    ///   - allPositions: the positions an all-position cell patches (from the first difference in
    ///     causal models on the batched engine; every position otherwise).
    static func cells(_ kind: PatchingSiteKind, architecture arch: Architecture, length n: Int,
                      allPositions: [Int]) -> (shape: [Int], cells: [PatchingCell]) {
        let (layers, heads, kvHeads, dh) = (arch.layers, arch.heads, arch.kvHeads, arch.headDim)
        func perPosition(_ site: ActivationPatch.Site) -> [PatchingCell] {
            (0..<layers).flatMap { l in (0..<n).map { p in
                PatchingCell(point: .block(l, site.blockSite), rows: [p], columns: 0..<arch.dModel, engineSite: site)
            } }
        }
        func perHead(_ site: ActivationPatch.Site, count: Int) -> [PatchingCell] {
            (0..<layers).flatMap { l in (0..<count).map { h in
                PatchingCell(point: .block(l, site.blockSite), rows: allPositions, columns: (h * dh)..<((h + 1) * dh),
                             engineSite: site)
            } }
        }
        switch kind {
        case .residPre: return ([layers, n], perPosition(.residPre))
        case .attnOut: return ([layers, n], perPosition(.attnOut))
        case .mlpOut: return ([layers, n], perPosition(.mlpOut))
        case .z: return ([layers, heads], perHead(.z, count: heads))
        case .q: return ([layers, heads], perHead(.q, count: heads))
        case .k: return ([layers, kvHeads], perHead(.k, count: kvHeads))
        case .v: return ([layers, kvHeads], perHead(.v, count: kvHeads))
        case .zByPosition:
            let cells = (0..<layers).flatMap { l in (0..<heads).flatMap { h in (0..<n).map { p in
                PatchingCell(point: .block(l, .z), rows: [p], columns: (h * dh)..<((h + 1) * dh), engineSite: .z)
            } } }
            return ([layers, heads, n], cells)
        case .pattern:
            let cells = (0..<layers).flatMap { l in (0..<heads).map { h in
                PatchingCell(point: .block(l, .pattern), rows: [h], columns: 0..<(n * n), engineSite: nil)
            } }
            return ([layers, heads], cells)
        }
    }

    /// The cells of a hook patched by name: one per row of its activation `[rows, …]` (positions, or
    /// heads for `attn_scores` and `pattern`).
    static func cells(hook point: HookPoint, activation: Tensor) -> (axis: String, cells: [PatchingCell]) {
        let rows = activation.shape[0], width = activation.count / max(rows, 1)
        let axis: String = switch point {
        case .block(_, .attnScores), .block(_, .pattern): "head"
        default: "position"
        }
        return (axis, (0..<rows).map { PatchingCell(point: point, rows: [$0], columns: 0..<width, engineSite: nil) })
    }
}
