/// A sequence attribution aggregated over groups of positions on both axes — words or sentences
/// from the tokenizer's offsets (docs/methods.md §12, "Aggregation").
public struct GroupedSequenceAttribution: Sendable, Equatable {
    /// `[S]` the source groups: positions of the sequence, disjoint, in order.
    public let sources: [[Int]]
    /// `[R]` the target groups: indices into `SequenceAttribution.steps`, disjoint, in order.
    public let targets: [[Int]]
    /// `[R][S]`: the sum over the group's targets and sources of the defined entries; nil where
    /// every entry is nil (the source group lies wholly at or after every target of the row).
    public let matrix: [[Double?]]
    /// Per target group: the product of its steps' probabilities (the group's joint probability
    /// under forced decoding).
    public let prob: [Double]
    /// Per target group: the mean of its steps' entropies (nats).
    public let entropy: [Double]
}

extension SequenceAttribution {
    /// Sums the matrix over `sources` (groups of positions) and `targets` (groups of step indices).
    /// - Precondition: the groups are non-empty and hold valid indices.
    public func grouped(sources: [[Int]], targets: [[Int]]) -> GroupedSequenceAttribution {
        let matrix: [[Double?]] = targets.map { rowGroup in
            sources.map { columns in
                var sum = 0.0, defined = false
                for i in rowGroup { for j in columns { if let v = self.matrix[i][j] { sum += Double(v); defined = true } } }
                return defined ? sum : nil
            }
        }
        let prob = targets.map { $0.reduce(1.0) { $0 * Double(steps[$1].prob) } }
        let entropy = targets.map { g in g.reduce(0.0) { $0 + Double(steps[$1].entropy) } / Double(max(g.count, 1)) }
        return GroupedSequenceAttribution(sources: sources, targets: targets, matrix: matrix, prob: prob, entropy: entropy)
    }
}
