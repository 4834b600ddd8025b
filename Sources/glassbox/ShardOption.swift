import ArgumentParser

/// `--shard I/N`: this run takes the input records whose 0-based index `k` (blank lines do not
/// count) has `k mod N == I`. N runs with I = 0…N−1 — a Slurm array's `$SLURM_ARRAY_TASK_ID`, a
/// Kubernetes Indexed Job's `$JOB_COMPLETION_INDEX` — cover every input exactly once, whatever
/// the machines, and `glassbox merge` puts their outputs back in input order.
struct ShardOption: Equatable, CustomStringConvertible {
    /// `I`, in `0..<count`.
    let index: Int
    /// `N` ≥ 1.
    let count: Int

    /// The whole input as one shard.
    static let all = ShardOption(index: 0, count: 1)

    init(index: Int, count: Int) {
        (self.index, self.count) = (index, count)
    }

    /// Parses `I/N`; a usage error (exit 2) naming what is wrong: not two whole numbers, N < 1,
    /// or I outside 0..<N.
    init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw ValidationError("--shard must be I/N, two whole numbers (this run's shard and the number of shards, e.g. 0/4), got '\(text)'")
        }
        guard n >= 1 else { throw ValidationError("--shard I/N needs N ≥ 1 shards, got '\(text)'") }
        guard (0..<n).contains(i) else {
            throw ValidationError("--shard I/N needs 0 ≤ I < N (shards count from 0: 0/\(n) … \(n - 1)/\(n)), got '\(text)'")
        }
        self.init(index: i, count: n)
    }

    /// Whether input record `k` belongs to this shard.
    func contains(_ k: Int) -> Bool { k % count == index }

    var description: String { "\(index)/\(count)" }
}
