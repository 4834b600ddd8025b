import ArgumentParser
import Foundation
import Glassbox

/// `glassbox render RESULT.json`: redraws a saved explanation without the model.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render", abstract: "Redraw a result saved with --json, without the model.")

    @Argument(help: "A JSON file written by `glassbox explain --json`.") var result: String
    @Option(help: "Write the picture here (.png, .svg or .pdf; default: output/NAME.png).") var out: String?
    @OptionGroup var colorScale: ColorScaleOptions

    func run() throws {
        let url = URL(fileURLWithPath: (result as NSString).expandingTildeInPath)
        let record = try ExplanationRecord.read(url)
        let picture = try PictureOutput.url(out, defaultName: url.deletingPathExtension().lastPathComponent)
        let report = try record.figure(scoreLimit: colorScale.scoreLimit).render(to: picture, scale: 2)
        for warning in report.warnings { Console.note("warning: \(warning)") }
        print("picture: \(picture.path)")
    }
}
