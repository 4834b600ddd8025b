import Foundation
import Glassbox

/// `glassbox render RESULT.json --out FILE.html [--with MORE.json …]`: the interactive page of a
/// saved result; `--with` adds further explain results of the same input behind a method switch.
enum RenderPage {
    /// Writes the page of `object` (read from `path`; not an explain result) to `out`, all or
    /// nothing. `RenderCommand` has already refused colour-scale options on results other than explain.
    static func write(_ object: [String: Any], from path: String, with more: [String], colorScale: ColorScaleOptions, to out: URL) throws {
        let command = try JSONField.string(object, "command")
        try checkOptions(colorScale)
        if !more.isEmpty {
            throw UsageMistake("--with adds explain results to an explain page; this is a \(command) result")
        }
        let page: HTMLPage
        do { page = try ResultPages.page(object, scoreLimit: colorScale.scoreLimit) } catch let problem as JSONField.Problem {
            throw FileProblem(path: path, reason: "not a readable \(command) result (\(problem.detail))")
        }
        try write(page, to: out)
    }

    /// Writes the page of an explain result (read from `path`) and the explain results `more`
    /// behind a method switch, each decoded once as the picture decodes it (`ResultKind`); a
    /// sequence explanation too large for every cell on a page comes read by `SequenceRecordScores`
    /// instead (`large`, see `largeSequence(_:)`; `explanation` nil), its matrix as float32. Each
    /// of `more` must explain the same input (`ExplainedInput`), be a text explanation, and at most
    /// one of all may be a sequence explanation (the page has one matrix); a refusal names the
    /// file at fault.
    static func write(_ explanation: ResultKind.Explanation?, large: SequenceRecordScores? = nil, from path: String, with more: [String],
                      colorScale: ColorScaleOptions, to out: URL) throws {
        try checkOptions(colorScale)
        var records: [ExplanationRecord] = []
        var sequence: (matrix: SequencePageMatrix, path: String)?
        var title: (method: String, model: String)?          // the first result's
        var input: ExplainedInput?                           // the first result's
        func add(_ explanation: ResultKind.Explanation?, large: SequenceRecordScores?, from file: String) throws {
            let matrix: SequencePageMatrix
            switch explanation {
            case nil: matrix = .scores(large!)
            case .sequence(let decoded): matrix = .record(try ResultKind.Explanation.sequence(decoded, path: file))
            case .single(let decoded):
                let record = try ResultKind.Explanation.single(decoded, path: file)
                if record.extra.image != nil || record.extra.patches != nil {
                    throw FileProblem(path: file, reason: "not a readable explain result (\(ResultPages.textOnly))")
                }
                let explained = ExplainedInput(record)
                if let input { try input.check(explained, of: path, path: file) } else { input = explained }
                records.append(record)
                title = title ?? (record.method, record.model.name)
                return
            }
            let record = matrix.record, explained = ExplainedInput(matrix.record)
            if let input { try input.check(explained, of: path, path: file) } else { input = explained }
            if let sequence {
                throw FileProblem(path: file, reason: "a second sequence explanation; a page shows one (\(sequence.path) is the other)")
            }
            sequence = (matrix, file)
            title = title ?? (record.method, record.model.name)
        }
        try add(explanation, large: large, from: path)
        for other in more {
            var data = try InputFile.readJSON(URL(fileURLWithPath: (other as NSString).expandingTildeInPath), limit: InputLimits.resultFileBytes)
            if let large = largeSequence(data) {
                data = Data()
                try add(nil, large: large, from: other)
                continue
            }
            let kind: ResultKind
            do { kind = try ResultKind.decode(data) } catch let invalid as InvalidJSONText {
                throw FileProblem(path: other, reason: invalid.errorDescription!)
            } catch let refusal as ResultMemory.Refusal {
                throw FileProblem(path: other, reason: refusal.errorDescription!)
            } catch {
                throw FileProblem(path: other, reason: "not JSON; --with takes results of glassbox explain --json")
            }
            guard let explanation = kind.explanation else {
                throw FileProblem(path: other, reason: "not an explain result; --with takes results of glassbox explain --json")
            }
            try add(explanation, large: nil, from: other)
        }
        let page: HTMLPage
        do {
            page = try ResultPages.explanation(records, sequence: sequence?.matrix, scoreLimit: colorScale.scoreLimit, method: title!.method,
                                               modelName: title!.model)
        } catch let problem as JSONField.Problem {
            throw FileProblem(path: path, reason: "not a readable explain result (\(problem.detail))")
        }
        try write(page, to: out)
    }

    /// A sequence explanation in `data` whose page pools its matrix (`SequencePageMatrix`), read
    /// with its matrix as float32; nil for anything else, which is decoded whole.
    static func largeSequence(_ data: Data) -> SequenceRecordScores? {
        guard let scores = SequenceRecordScores.read(data), SequencePageMatrix.isPooled(scores) else { return nil }
        return scores
    }

    /// Options that apply to pictures only.
    private static func checkOptions(_ colorScale: ColorScaleOptions) throws {
        if colorScale.top != nil {
            throw UsageMistake("--top applies to pictures; a page shows every token (leave --top out)")
        }
    }

    /// `page` to `out`, all or nothing, named on stdout.
    private static func write(_ page: HTMLPage, to out: URL) throws {
        let output = OutputTransaction()
        try output.write(figure: { throw NoPage() }, page: { page }, to: out)
        try output.commit(naming: [OutputTransaction.line(naming: out)])
    }
}
