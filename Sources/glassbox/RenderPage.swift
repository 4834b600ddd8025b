import Foundation
import Glassbox

/// `glassbox render RESULT.json --out FILE.html [--with MORE.json …]`: the interactive page of a
/// saved result; `--with` adds further explain results of the same input behind a method switch.
enum RenderPage {
    /// Writes the page of `object` (read from `path`) to `out`, all or nothing. `RenderCommand` has
    /// already refused colour-scale options on results other than explain.
    static func write(_ object: [String: Any], from path: String, with more: [String], colorScale: ColorScaleOptions, to out: URL) throws {
        let command = try JSONField.string(object, "command")
        if colorScale.top != nil {
            throw UsageMistake("--top applies to pictures; a page shows every token (leave --top out)")
        }
        if command != "explain" && !more.isEmpty {
            throw UsageMistake("--with adds explain results to an explain page; this is a \(command) result")
        }
        let others = try more.map { other -> [String: Any] in
            let data = try InputFile.readJSON(URL(fileURLWithPath: (other as NSString).expandingTildeInPath), limit: InputLimits.resultFileBytes)
            guard let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], o["command"] as? String == "explain" else {
                throw FileProblem(path: other, reason: "not an explain result; --with takes results of glassbox explain --json")
            }
            return o
        }
        let page: HTMLPage
        do { page = try ResultPages.page(object, scoreLimit: colorScale.scoreLimit, more: others) } catch let problem as JSONField.Problem {
            throw FileProblem(path: path, reason: "not a readable \(command) result (\(problem.detail))")
        }
        let output = OutputTransaction()
        try output.write(figure: { throw NoPage() }, page: { page }, to: out)
        print(OutputTransaction.line(naming: out))
        try output.commit()
    }
}
