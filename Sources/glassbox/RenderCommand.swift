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
        let reads = "render redraws the --json results of \(ResultFigures.renderableList)"
        // Its kind first, decoded without building the whole object: an explain picture decodes the
        // typed record alone (a dictionary of a long explanation takes tens of times the file's size).
        guard let kind = try? JSONDecoder().decode(ResultKind.self, from: data) else {
            throw FileProblem(path: result, reason: "not JSON; \(reads)")
        }
        guard let command = kind.command else {
            throw FileProblem(path: result, reason: "not a glassbox result (no \"command\" key); \(reads)")
        }
        guard ResultFigures.renderable.contains(command) else {
            let article = command.first.map { "aeiou".contains($0) } == true ? "an" : "a"
            throw FileProblem(path: result, reason: "\(article) \(command) result has no picture; \(reads)")
        }
        if command != "explain", let option = colorScale.given {
            throw UsageMistake("\(option) applies to explain results (signed scores), not this \(command) result; leave it out")
        }
        func object() throws -> [String: Any] {
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw FileProblem(path: result, reason: "not JSON; \(reads)")
            }
            return object
        }
        if let out, OutputTransaction.isPage(URL(fileURLWithPath: out)) {
            return try RenderPage.write(try object(), from: result, with: with, colorScale: colorScale, to: try PictureOutput.url(out, defaultName: ""))
        }
        if !with.isEmpty { throw UsageMistake("--with adds results to an interactive page; give --out FILE.html") }
        let figure: any Figure
        if command == "explain", kind.isSequence {
            return try SequenceRendering.redraw(data, path: result, out: out, scoreLimit: colorScale.scoreLimit,
                                                defaultName: url.deletingPathExtension().lastPathComponent)
        } else if command == "explain" {
            let record: ExplanationRecord
            do { record = try JSONDecoder().decode(ExplanationRecord.self, from: data) } catch {
                throw FileProblem(path: result, reason: "not a readable explain result (\(UserMessage.line(for: error)))")
            }
            figure = try record.figure(scoreLimit: colorScale.scoreLimit, top: colorScale.top)
        } else {
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
        let picture = try PictureOutput.url(out, defaultName: url.deletingPathExtension().lastPathComponent)
        let output = OutputTransaction()
        let report = try output.render(figure, to: picture)
        for warning in report.warnings { Console.note("warning: \(warning)") }
        print("picture: \(picture.path)")
        try output.commit()
    }
}

/// What `render` reads of a result before choosing how to decode it: its `"command"`, and whether
/// an explain result is a sequence (`"matrix"` and `"generated"` present).
private struct ResultKind: Decodable {
    var command: String?
    var isSequence: Bool

    private enum Keys: String, CodingKey { case command, matrix, generated }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        command = try? container.decodeIfPresent(String.self, forKey: .command)
        isSequence = container.contains(.matrix) && container.contains(.generated)
    }
}
