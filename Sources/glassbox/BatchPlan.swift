import Foundation
import Glassbox

/// What a first pass over a batch's input file finds (line by line, in bounded memory): how
/// many input records there are, how many fall in this shard, and whether the first is an image
/// (to pick the bundled vision model when no --model is given). With `--resume` it also checks
/// that the output's records belong to these inputs (the same id at each index they hold).
struct BatchPlan {
    /// Input records (non-blank lines).
    let records: Int
    /// Records of this run's shard.
    let shardRecords: Int
    let firstIsImage: Bool

    static func scan(_ path: String, shard: ShardOption, done: [Int: String] = [:], output: String = "") throws -> BatchPlan {
        var reader = try JSONLReader(path: path, maxLineBytes: InputLimits.batchLineBytes)
        defer { reader.close() }
        var records = 0, inShard = 0
        var firstIsImage: Bool?
        while let line = try reader.next() {
            if case .bytes(let bytes) = line {
                if isBlank(bytes) { continue }
                if firstIsImage == nil {
                    firstIsImage = (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])?["image"] != nil
                }
            }
            if let had = done[records] {
                let now = if case .bytes(let bytes) = line { idJSON(bytes) } else { String?.none }
                if let now, now != had { throw BatchOutputProblem.differentInput(path: output, index: records, had: had, now: now) }
            }
            if shard.contains(records) { inShard += 1 }
            records += 1
        }
        if let last = done.keys.max(), last >= records {
            throw MergeProblem.beyondInputs(path: output, index: last, inputs: records)
        }
        return BatchPlan(records: records, shardRecords: inShard, firstIsImage: firstIsImage ?? false)
    }

    /// A line of only spaces, tabs and carriage returns: not an input.
    static func isBlank(_ bytes: [UInt8]) -> Bool { bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }

    /// The `"id"` of an input line as JSON text, if it parses and is an id batch accepts (a
    /// string or a number, `BatchInput.validID`); otherwise nil, which matches any record.
    static func idJSON(_ bytes: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        return BatchInput.validID(object["id"])
    }
}
