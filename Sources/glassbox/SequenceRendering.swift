import Foundation
import Glassbox

/// `glassbox render` of a sequence explanation (`explain --generate/--continuation --json`): the
/// heatmap at the picture path and the token strips the record lists beside it.
enum SequenceRendering {
    /// Draws `record` (read and validated by `render`) and its strips, all or nothing.
    static func redraw(_ record: SequenceRecordScores, out: String?, scoreLimit: ScoreLimit, defaultName: String) throws {
        let picture = try PictureOutput.url(out, defaultName: defaultName)
        let output = OutputTransaction()
        var drawn = [picture]
        let report = try output.render(record.heatmap(scoreLimit: scoreLimit), to: picture)
        for warning in report.warnings { Console.note("warning: \(warning)") }
        for index in record.record.strips {
            let url = LatentPictures.sibling(of: picture, suffix: "target-\(index)")
            let stripReport = try output.render(try record.strip(index, scoreLimit: scoreLimit), to: url)
            for warning in stripReport.warnings { Console.note("warning: \(warning)") }
            drawn.append(url)
        }
        try output.commit(naming: ["picture: \(picture.path)"] + drawn.dropFirst().map { "strip picture: \($0.path)" })
    }
}
