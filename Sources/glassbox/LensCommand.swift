import ArgumentParser
import Foundation
import Glassbox

/// `glassbox lens`: the logit lens (nostalgebraist 2020) — what each layer would predict — as a
/// layers × positions table of top tokens coloured by probability.
struct LensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lens", abstract: "Logit lens: each layer's prediction at each position (layers × positions).")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var input: InputOptions

    @Option(help: "Read the residual stream (resid), or each attention (attn) or MLP (mlp) output.")
    var site: LensSiteOption = .resid
    @Option(parsing: .unconditional, help: "Tokens kept per cell.") var topK = 5
    @Option(parsing: .unconditional, help: "Report the rank and probability of this token id (default: the model's own final prediction).")
    var targetId: Int?
    @Option(help: "Write the picture here (.png, .svg, .pdf, or .html for an interactive page; default: output/lens-SITE-MODEL.png).", completion: .file()) var out: String?
    @Flag(help: "Print one JSON object on stdout.") var json = false
    @OptionGroup var memoryOptions: MemoryOptions

    func validate() throws {
        if topK < 1 { throw ValidationError("--top-k must be at least 1, got \(topK)") }
    }

    func run() throws {
        try PictureOutput.checkEarly(out)
        let memory = MemoryGate()
        let loaded = try modelOptions.load(image: input.image != nil)
        let (object, result) = try lens(loaded, memory: memory)
        let url = try PictureOutput.url(out, defaultName: "lens-\(site.rawValue)-\(PictureOutput.slug(loaded.spec))")
        let label = { (s: TokenScore) in s.text ?? "<\(s.id)>" }
        let output = OutputTransaction()
        let report = try output.write(figure: { try ResultFigures.lens(object) }, page: { try ResultPages.lens(object) }, to: url)
        for warning in report?.warnings ?? [] { Console.note("warning: \(warning)") }
        if json {
            try output.commitJSON(object, picture: url)
            return
        }
        print("logit lens, \(result.readoutDescription)")     // the description says "(approximate)" itself
        for row in result.rows {
            let tops = row.cells.map { cell in
                (cell.top.first.map(label) ?? "").debugDescription + String(format: " %.2f", cell.top.first?.prob ?? 0)
            }
            print(row.label.padding(toLength: 10, withPad: " ", startingAt: 0) + tops.joined(separator: "  "))
        }
        try output.commit(naming: [OutputTransaction.line(naming: url)])
    }

    /// The lens of this command's input on `loaded`: the `--json` object (also what
    /// `glassbox batch` writes per input) and the result it was made from.
    /// `memory` (read before the model loaded) refuses an input the memory would not hold.
    func lens(_ loaded: LoadedModel, memory: MemoryGate?) throws -> (object: [String: Any], result: LogitLensResult) {
        let arch = loaded.model.architecture
        if let targetId {
            try IndexOutOfRange.check(targetId, option: "--target-id", count: try LensReadout.natural(for: loaded.model).outputs, unit: "outputs")
        }
        let prepared = try PreparedInput.prepare(loaded, input: input)
        try memory?.check(loaded.model, prepared, profile: .lens(states: arch.layers + 1), force: memoryOptions.force)
        let texts: [String]? = arch.vocabSize > 0 ? (0..<arch.vocabSize).map(loaded.text) : nil
        let result = try LogitLens.run(loaded.model, prepared.modelInput, options: LogitLens.Options(
            site: site.site, topK: topK, target: targetId.map { .id($0) } ?? .finalTop, tokenTexts: texts))
        let label = { (s: TokenScore) in s.text ?? "<\(s.id)>" }
        let object: [String: Any] = [
            "glassbox": GlassboxVersion.string, "command": "lens", "model": loaded.jsonDescription,
            "site": site.rawValue, "readout": result.readoutDescription, "approximate": result.approximate,
            "tokens": prepared.jsonTokens,
            "target": targetId.map { ["id": $0, "text": loaded.text($0)] as [String: Any] } ?? ["id": NSNull(), "text": "final prediction"],
            "rows": result.rows.map { row in
                ["label": row.label, "positions": row.cells.map { cell in
                    ["position": cell.position,
                     "top": cell.top.map { ["id": $0.id, "text": label($0), "prob": Double($0.prob ?? 0)] as [String: Any] },
                     "targetRank": cell.targetRank.map { $0 as Any } ?? NSNull(),
                     "targetProb": cell.targetProb.map { Double($0) as Any } ?? NSNull(),
                     "kl": Double(cell.kl)] as [String: Any]
                }] as [String: Any]
            },
        ]
        return (object, result)
    }
}

enum LensSiteOption: String, ExpressibleByArgument, CaseIterable {
    case resid, attn, mlp
    var site: LensSite { switch self { case .resid: .resid; case .attn: .attn; case .mlp: .mlp } }
}
