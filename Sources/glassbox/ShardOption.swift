import ArgumentParser

/// `--shard I/N`: this run takes the input records whose 0-based index `k` (blank lines do not
/// count) has `k mod N == I`. N runs with I = 0…N−1 — a Slurm array's `$SLURM_ARRAY_TASK_ID`, a
/// Kubernetes Indexed Job's `$JOB_COMPLETION_INDEX` — cover every input exactly once, whatever
/// the machines, and `glassbox merge` puts their outputs back in input order.
struct ShardOption: ExpressibleByArgument, Equatable, CustomStringConvertible {
    /// `I`, in `0..<count`.
    let index: Int
    /// `N` ≥ 1.
    let count: Int

    /// The whole input as one shard.
    static let all = ShardOption(index: 0, count: 1)

    init(index: Int, count: Int) {
        (self.index, self.count) = (index, count)
    }

    init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (0..<n).contains(i) else { return nil }
        self.init(index: i, count: n)
    }

    static var defaultCompletionKind: CompletionKind { .default }

    /// Whether input record `k` belongs to this shard.
    func contains(_ k: Int) -> Bool { k % count == index }

    var description: String { "\(index)/\(count)" }
}
