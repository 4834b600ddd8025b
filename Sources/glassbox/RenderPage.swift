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
    /// behind a method switch, each decoded once as the picture decodes it (`ResultKind`).
    static func write(_ explanation: ResultKind.Explanation, from path: String, with more: [String], colorScale: ColorScaleOptions,
                      to out: URL) throws {
        try checkOptions(colorScale)
        var records: [ExplanationRecord] = []
        var sequence: SequenceExplanationRecord?
        var title: (method: String, model: String)?          // the first result's
        func add(_ explanation: ResultKind.Explanation, from path: String) throws {
            switch explanation {
            case .single(let decoded):
                let record = try ResultKind.Explanation.single(decoded, path: path)
                records.append(record)
                title = title ?? (record.method, record.model.name)
            case .sequence(let decoded):
                let record = try ResultKind.Explanation.sequence(decoded, path: path)
                sequence = record
                title = title ?? (record.method, record.model.name)
            }
        }
        try add(explanation, from: path)
        for other in more {
            let data = try InputFile.readJSON(URL(fileURLWithPath: (other as NSString).expandingTildeInPath), limit: InputLimits.resultFileBytes)
            guard let kind = try? JSONDecoder().decode(ResultKind.self, from: data), let explanation = kind.explanation else {
                throw FileProblem(path: other, reason: "not an explain result; --with takes results of glassbox explain --json")
            }
            try add(explanation, from: other)
        }
        let page: HTMLPage
        do {
            page = try ResultPages.explanation(records, sequence: sequence, scoreLimit: colorScale.scoreLimit, method: title!.method,
                                               modelName: title!.model)
        } catch let problem as JSONField.Problem {
            throw FileProblem(path: path, reason: "not a readable explain result (\(problem.detail))")
        }
        try write(page, to: out)
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
        print(OutputTransaction.line(naming: out))
        try output.commit()
    }
}
