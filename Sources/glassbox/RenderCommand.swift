import ArgumentParser
import Foundation
import Glassbox

/// `glassbox render RESULT.json`: redraws a saved result without the model, dispatching on its
/// `"command"` key.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render", abstract: "Redraw a result saved with --json, without the model.")

    @Argument(help: "A JSON file written with --json by explain, attention, lens, project, neurons, patch, trace, path or evaluate.") var result: String
    @Option(help: "Write the picture here (.png, .svg or .pdf; default: output/NAME.png), or an interactive page (.html).", completion: .file()) var out: String?
    @Option(name: .customLong("with"), help: ArgumentHelp("With --out FILE.html: another explain result of the same input, shown behind a method switch (repeatable).", valueName: "RESULT.json"))
    var with: [String] = []
    @OptionGroup var colorScale: ColorScaleOptions

    func run() throws {
        if let out {
            for input in [result] + with { try SameFile.refuse(output: out, outputOption: "--out", input: input, inputOption: "the result") }
        }
        let url = URL(fileURLWithPath: (result as NSString).expandingTildeInPath)
        // A var, emptied once read, so the file's bytes are freed before the drawing.
        var data = try InputFile.readJSON(url, limit: InputLimits.resultFileBytes)
        let notJSON = FileProblem(path: result, reason: "not JSON; \(Self.reads)")
        let name = url.deletingPathExtension().lastPathComponent
        // A sequence explanation drawn as a picture, or on a page that pools its matrix: the
        // matrix read straight into float32.
        let isPage = out.map { OutputTransaction.isPage(URL(fileURLWithPath: $0)) } ?? false
        if let out, isPage, let large = RenderPage.largeSequence(data) {
            data = Data()
            return try RenderPage.write(nil, large: large, from: result, with: with, colorScale: colorScale,
                                        to: try PictureOutput.url(out, defaultName: ""))
        }
        if !isPage, let drawn = SequenceRecordScores.read(data) {
            data = Data()
            if !with.isEmpty { throw Self.withNeedsPage }
            return try SequenceRendering.redraw(drawn, out: out, scoreLimit: colorScale.scoreLimit, defaultName: name)
        }
        // The kind and the typed record (explain) or the dictionary (other results): one decoding pass.
        let kind: ResultKind
        do { kind = try ResultKind.decode(data) } catch let refusal as ResultMemory.Refusal {
            throw FileProblem(path: result, reason: refusal.errorDescription!)
        } catch let invalid as InvalidJSONText {
            throw FileProblem(path: result, reason: invalid.errorDescription!)
        } catch { throw notJSON }
        data = Data()
        let command = try check(command: kind.command)
        // The picture is drawn over that image: `--out` naming it would replace it.
        if case .single(.success(let record)) = kind.explanation, let image = record.extra.image {
            CommandInputs.record(image, as: "image the result names")
        }
        func object() throws -> [String: Any] {
            guard let object = kind.object else { throw notJSON }
            return object
        }
        if let out, OutputTransaction.isPage(URL(fileURLWithPath: out)) {
            let page = try PictureOutput.url(out, defaultName: "")
            if let explanation = kind.explanation {
                return try RenderPage.write(explanation, from: result, with: with, colorScale: colorScale, to: page)
            }
            return try RenderPage.write(try object(), from: result, with: with, colorScale: colorScale, to: page)
        }
        if !with.isEmpty { throw Self.withNeedsPage }
        let figure: any Figure
        switch kind.explanation {
        case .sequence(let decoded):
            let record = try ResultKind.Explanation.sequence(decoded, path: result)
            return try SequenceRendering.redraw(try SequenceRecordScores(record), out: out, scoreLimit: colorScale.scoreLimit, defaultName: name)
        case .single(let decoded):
            do {
                figure = try ResultKind.Explanation.single(decoded, path: result).figure(scoreLimit: colorScale.scoreLimit, top: colorScale.top)
            } catch let problem as ImageRegionProblem {
                throw FileProblem(path: result, reason: "not a readable explain result (\(problem.errorDescription!))")
            }
        case nil:
            do {
                guard let drawn = try ResultFigures.figure(try object()) else {
                    let why = command == "neurons" ? "trigger examples only" : "no map or curve to draw"
                    throw FileProblem(path: result, reason: "this \(command) result has no picture (\(why))")
                }
                figure = drawn
            } catch let problem as JSONField.Problem {
                throw FileProblem(path: result, reason: "not a readable \(command) result (\(problem.detail))")
            }
        }
        let picture = try PictureOutput.url(out, defaultName: name)
        let output = OutputTransaction()
        let report = try output.render(figure, to: picture)
        for warning in report.warnings { Console.note("warning: \(warning)") }
        try output.commit(naming: ["picture: \(picture.path)"])
    }

    static let withNeedsPage = UsageMistake("--with adds results to an interactive page; give --out FILE.html")

    static let reads = "render redraws the --json results of \(ResultFigures.renderableList)"

    /// The result's `"command"`, if it has a picture; colour-scale options only for explain results.
    private func check(command: String?) throws -> String {
        guard let command else {
            throw FileProblem(path: result, reason: "not a glassbox result (no \"command\" key); \(Self.reads)")
        }
        guard ResultFigures.renderable.contains(command) else {
            let article = command.first.map { "aeiou".contains($0) } == true ? "an" : "a"
            throw FileProblem(path: result, reason: "\(article) \(command) result has no picture; \(Self.reads)")
        }
        if command != "explain", let option = colorScale.given {
            throw UsageMistake("\(option) applies to explain results (signed scores), not this \(command) result; leave it out")
        }
        return command
    }
}
