import GlassboxRuntime
import GlassboxTensor

extension SequenceAttribution {
    /// One forward pass that some targets share: the pass over `ids[0..<length]`, whose rows
    /// `0...row` are each of its targets' prefix (docs/methods.md §12.1).
    struct Pass: Equatable {
        /// The positions the pass reads, from 0.
        let length: Int
        /// Indices into the target rows it serves, ascending.
        let targets: [Int]
    }

    /// Groups the target `rows` by the rotary frequencies of their prefix (`row + 1` positions),
    /// one pass per distinct table (docs/methods.md §12.1).
    ///
    /// A causal pass's row `r` is the prefix `0...r`'s only when both are rotated with the same
    /// frequencies; with a scaling that depends on the length (Phi-3's LongRoPE past its original
    /// length, dynamic NTK past `max_position_embeddings`) they differ. The tables are compared, not
    /// assumed constant on ranges. The targets whose table is that of `sharedLength` keep the
    /// method's usual pass over `sharedLength` positions; every other table gets one pass over the
    /// longest prefix with that table. Without length-dependent frequencies (or without RoPE) this is
    /// one pass of `sharedLength` serving every target.
    ///
    /// - Parameters:
    ///   - rows: `[T]` the target rows (a target at position `p` is read at row `p − 1`), ascending.
    ///   - sharedLength: the length of the pass the method runs without grouping (≥ `rows.last + 1`).
    /// - Returns: the passes, in order of their first target; every target in exactly one.
    static func passes(_ arch: Architecture, rows: [Int], sharedLength: Int) -> [Pass] {
        let shared = arch.rotaryFrequencies(length: sharedLength)
        var tables: [[[Float]]] = [], members: [[[Float]]: [Int]] = [:]
        for (i, row) in rows.enumerated() {
            let table = row + 1 == sharedLength ? shared : arch.rotaryFrequencies(length: row + 1)
            if members[table] == nil { tables.append(table) }
            members[table, default: []].append(i)
        }
        return tables.map { table in
            let targets = members[table]!
            return Pass(length: table == shared ? sharedLength : rows[targets.last!] + 1, targets: targets)
        }
    }

    /// The logits `[T, V]` of all targets from each pass's logits `[pass.targets.count, V]`, in the
    /// order of `passes`.
    static func gathered(_ logits: [Tensor], of passes: [Pass]) -> Tensor {
        guard passes.count > 1 else { return logits[0] }
        let targets = passes.flatMap(\.targets)
        return Tensor(shape: [targets.count, logits[0].shape[1]], storage: logits.flatMap(\.storage))
            .scatterRows(targets, count: targets.count)
    }
}
