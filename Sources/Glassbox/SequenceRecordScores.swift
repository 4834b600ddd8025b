import Foundation

/// A sequence explanation as `glassbox render` draws it: the record's tokens and settings, its
/// `[generated, tokens]` matrix as float32 cells (NaN for null), and the rows drawn as token strips
/// in double precision. Read from a file with `read(_:)`, a 5,000 × 5,100 matrix takes 4 bytes per
/// cell instead of the 16 of `[[Double?]]` and the decoder's own values (docs/benchmarks.md, "Long
/// inputs").
public struct SequenceRecordScores: Sendable {
    /// The record; its `matrix` is empty when it was read with `read(_:)`.
    public let record: SequenceExplanationRecord
    /// `[generated.count, tokens.count]`, NaN for a source at or after its target.
    public let scores: ScoreMatrix
    /// The strip targets' rows (`record.strips`), as `record.matrix` would give them.
    let stripRows: [Int: [Double?]]

    /// A validated record held whole (the matrix flattened); throws `validate()`'s errors.
    public init(_ record: SequenceExplanationRecord) throws {
        try record.validate()
        self.record = record
        scores = try ScoreMatrix(rows: record.matrix.count, columns: record.tokens.count,
                                 values: record.matrix.flatMap { $0.map { Float($0 ?? .nan) } })
        stripRows = Dictionary(record.strips.map { ($0, record.matrix[$0]) }, uniquingKeysWith: { a, _ in a })
    }

    /// Reads a saved sequence explanation with its matrix straight from the bytes
    /// (`NumericArrayReader`) and the rest with `JSONDecoder`. Nil when `data` is anything else or
    /// anything `SequenceExplanationRecord`'s decoding or `validate()` would refuse — the caller
    /// then decodes it the ordinary way, which reports what is wrong.
    public static func read(_ data: Data) -> SequenceRecordScores? {
        guard let range = NumericArrayReader.topLevelValues(data, keys: ["matrix"])?["matrix"],
              let matrix = NumericArrayReader.array(data, at: range, allowNull: true), matrix.shape.count == 2 else { return nil }
        let rest = NumericArrayReader.removing([range], from: data)
        guard let record = try? JSONDecoder().decode(SequenceExplanationRecord.self, from: rest), record.matrix.isEmpty,
              (try? record.validate(rowLengths: Array(repeating: matrix.shape[1], count: matrix.shape[0]))) != nil,
              let scores = try? ScoreMatrix(rows: matrix.shape[0], columns: matrix.shape[1], values: matrix.values) else { return nil }
        var rows: [Int: [Double?]] = [:]
        for index in record.strips {
            guard let row = NumericArrayReader.row(data, at: matrix.rowOffsets[index]) else { return nil }
            rows[index] = row
        }
        return SequenceRecordScores(record: record, scores: scores, stripRows: rows)
    }

    private init(record: SequenceExplanationRecord, scores: ScoreMatrix, stripRows: [Int: [Double?]]) {
        (self.record, self.scores, self.stripRows) = (record, scores, stripRows)
    }

    /// The targets × sources heatmap, as `SequenceExplanationRecord.heatmap(scoreLimit:)` draws it.
    public func heatmap(scoreLimit: ScoreLimit = .robust) -> SequenceHeatmap {
        record.heatmap(scores: scores, scoreLimit: scoreLimit)
    }

    /// The token strip of target `index` (one of `record.strips`), as
    /// `SequenceExplanationRecord.strip(_:scoreLimit:)` draws it.
    public func strip(_ index: Int, scoreLimit: ScoreLimit = .robust) throws -> TokenStrip {
        guard let row = stripRows[index] else {
            throw RecordError.unreadable(file: "sequence explanation", reason: "target \(index) is not one of the strips \(record.strips)")
        }
        return record.strip(index, row: row, scoreLimit: scoreLimit)
    }
}
