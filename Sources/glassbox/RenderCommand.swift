import ArgumentParser
import Foundation
import Glassbox

/// `glassbox render RESULT.json`: redraws a saved result without the model, dispatching on its
/// `"command"` key.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render", abstract: "Redraw a result saved with --json, without the model.")

    @Argument(help: "A JSON file written with --json by explain, attention, lens, project or neurons.") var result: String
    @Option(help: "Write the picture here (.png, .svg or .pdf; default: output/NAME.png), or an interactive page (.html).") var out: String?
    @Option(name: .customLong("with"), help: ArgumentHelp("With --out FILE.html: another explain result of the same input, shown behind a method switch (repeatable).", valueName: "RESULT.json"))
    var with: [String] = []
    @OptionGroup var colorScale: ColorScaleOptions

    func run() throws {
        if let out {
            for input in [result] + with { try SameFile.refuse(output: out, outputOption: "--out", input: input, inputOption: "the result") }
        }
        let url = URL(fileURLWithPath: (result as NSString).expandingTildeInPath)
        let data = try InputFile.readJSON(url, limit: InputLimits.resultFileBytes)
        let notJSON = FileProblem(path: result, reason: "not JSON; \(Self.reads)")
        if let out, OutputTransaction.isPage(URL(fileURLWithPath: out)) {
            // A page is built from the result's dictionary: parsed once, as that.
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw notJSON }
            try check(command: object["command"] as? String)
            return try RenderPage.write(object, from: result, with: with, colorScale: colorScale, to: try PictureOutput.url(out, defaultName: ""))
        }
        // A picture: the kind and, for explain results, the typed record in one decoding pass (a
        // dictionary of a long explanation takes tens of times the file's size).
        guard let kind = try? JSONDecoder().decode(ResultKind.self, from: data) else { throw notJSON }
        let command = try check(command: kind.command)
        if !with.isEmpty { throw UsageMistake("--with adds results to an interactive page; give --out FILE.html") }
        let name = url.deletingPathExtension().lastPathComponent
        let figure: any Figure
        switch kind.explanation {
        case .sequence(let decoded):
            let record: SequenceExplanationRecord
            do {
                record = try decoded.get()
                try record.validate()
            } catch {
                throw FileProblem(path: result, reason: "not a readable sequence explanation (\(UserMessage.line(for: error)))")
            }
            return try SequenceRendering.redraw(record, out: out, scoreLimit: colorScale.scoreLimit, defaultName: name)
        case .single(let decoded):
            let record: ExplanationRecord
            do { record = try decoded.get() } catch {
                throw FileProblem(path: result, reason: "not a readable explain result (\(UserMessage.line(for: error)))")
            }
            figure = try record.figure(scoreLimit: colorScale.scoreLimit, top: colorScale.top)
        case nil:
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw notJSON }
            do {
                guard let drawn = try ResultFigures.figure(object) else {
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
        print("picture: \(picture.path)")
        try output.commit()
    }

    static let reads = "render redraws the --json results of \(ResultFigures.renderableList)"

    /// The result's `"command"`, if it has a picture; colour-scale options only for explain results.
    @discardableResult
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

/// What `render` reads of a result for a picture, in one decoding pass: its `"command"` and, for an
/// explain result, the typed record — a sequence record when `"matrix"` and `"generated"` are
/// present — or the decoding error, reported once the command is known to be drawable.
private struct ResultKind: Decodable {
    enum Explanation {
        case single(Result<ExplanationRecord, Error>)
        case sequence(Result<SequenceExplanationRecord, Error>)
    }

    var command: String?
    var explanation: Explanation?

    private enum Keys: String, CodingKey { case command, matrix, generated }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        command = try? container.decodeIfPresent(String.self, forKey: .command)
        guard command == "explain" else { return }
        explanation = container.contains(.matrix) && container.contains(.generated)
            ? .sequence(Result { try SequenceExplanationRecord(from: decoder) })
            : .single(Result { try ExplanationRecord(from: decoder) })
    }
}
