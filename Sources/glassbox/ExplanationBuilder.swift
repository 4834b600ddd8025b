import Foundation
import Glassbox

/// Turns an analysis result into the `explain` record: tokens (or words) with scores, the target
/// and the model's provenance.
struct ExplanationBuilder {
    let loaded: LoadedModel
    let prepared: PreparedInput
    let target: ResolvedTarget

    /// A record over the input's tokens (or, with `words`, its words and the tokens the tokenizer
    /// added, `AddedTokenGroups`; the target's entry is the one holding the explained position,
    /// none for a whitespace-only token). `parameters` are added to the
    /// method's own (the seed choices of gradient methods); `heads`, `neurons` and
    /// `positionRelevance` go into `"extra"`.
    func record(_ scores: TokenScores, words: Bool, heads: [[Double]]? = nil,
                neurons: [ExplanationRecord.NeuronScore]? = nil, positionRelevance: Double? = nil,
                parameters: [String: String] = [:]) throws -> ExplanationRecord {
        var tokens = prepared.texts.indices.map { i in
            ExplanationRecord.Token(id: prepared.ids.isEmpty ? nil : prepared.ids[i], text: prepared.texts[i],
                                    start: prepared.spans?[i].start, end: prepared.spans?[i].end,
                                    score: Double(scores.scores[i]))
        }
        var targetIndex: Int? = target.position
        if words {
            let words = try promptGroups(prepared.encoding, text: prepared.prompt, sentences: false, option: "--words",
                                         missingPrompt: ExplainProblem.wordsNeedPrompt)
            let groups = AddedTokenGroups.including(words, special: prepared.encoding?.specialTokensMask ?? [],
                                                    spans: prepared.spans ?? [], texts: prepared.texts)
            let summed = TokenGrouping.aggregate(scores.scores.map(Double.init), over: groups, using: .sum)
            tokens = zip(groups, summed).map { group, score in
                ExplanationRecord.Token(id: nil, text: group.text, start: group.span.start, end: group.span.end, score: score)
            }
            targetIndex = groups.firstIndex { $0.tokenIndices.contains(target.position) }
        }
        return finish(scores, tokens: tokens, words: words, targetIndex: targetIndex, heads: heads, neurons: neurons,
                      positionRelevance: positionRelevance, parameters: parameters)
    }

    /// A record over groups of tokens (words or sentences) with one score each. The target's entry
    /// is the group holding the explained position, none when no group holds it.
    func record(_ scores: TokenScores, groups: [TokenGroup], groupScores: [Double]) throws -> ExplanationRecord {
        let tokens = zip(groups, groupScores).map { group, score in
            ExplanationRecord.Token(id: nil, text: group.text, start: group.span.start, end: group.span.end, score: score)
        }
        let targetIndex = groups.firstIndex { $0.tokenIndices.contains(target.position) }
        return finish(scores, tokens: tokens, words: true, targetIndex: targetIndex, heads: nil, neurons: nil,
                      positionRelevance: nil, parameters: [:])
    }

    private func finish(_ scores: TokenScores, tokens: [ExplanationRecord.Token], words: Bool, targetIndex: Int?,
                        heads: [[Double]]?, neurons: [ExplanationRecord.NeuronScore]?, positionRelevance: Double?,
                        parameters: [String: String]) -> ExplanationRecord {
        let extra = ExplanationRecord.Extra(
            patches: scores.patchGrid?.map { $0.map(Double.init) }, image: prepared.imagePath,
            patchRegion: scores.patchGrid == nil ? nil : prepared.imageRegion,
            positionRelevance: positionRelevance, heads: heads, neurons: neurons, words: words ? true : nil,
            targetIndex: targetIndex, chat: prepared.chat.map { _ in true }, chatPrompt: prepared.chat?.rendered)
        // A sigmoid classifier's target probability is σ(logit): the record says so.
        let scoring: [String: String] = loaded.model.architecture.classScores == .sigmoid ? ["scores": "sigmoid"] : [:]
        return ExplanationRecord(
            model: loaded.summary, method: scores.method,
            parameters: scores.parameters.merging(parameters) { _, new in new }.merging(scoring) { _, new in new },
            target: .init(id: target.id ?? -1, text: target.text, position: target.position,
                          logit: target.logit.map(Double.init), prob: target.probability.map(Double.init)),
            tokens: tokens, extra: extra)
    }
}

/// Writes what `explain` shows: the table (or JSON) on stdout and the picture.
enum ExplanationOutput {
    /// Prints `data` (a JSON record) and a newline on stdout, commits `output`, then names each
    /// written picture on stderr (`label: path`), so stdout holds the JSON alone.
    static func emitJSON(_ data: Data, output: OutputTransaction, pictures: [(label: String, url: URL)]) throws {
        Console.write(data)
        Console.write(Data("\n".utf8))
        try output.commit()
        for picture in pictures { Console.note("\(picture.label): \(picture.url.path)") }
    }

    /// Draws the picture (and, with `latents`, the head and neuron pictures beside it), then prints
    /// the table or the JSON and where the pictures are. All or nothing: the pictures replace
    /// existing files only once every one of them and the JSON are ready.
    static func emit(_ record: ExplanationRecord, out: String?, json: Bool, scoreLimit: ScoreLimit = .robust,
                     top: Int? = nil, latents: LatentPictures = LatentPictures()) throws {
        let url = try PictureOutput.url(out, defaultName: "explain-\(record.method)-\(PictureOutput.slug(record.model.name))")
        let output = OutputTransaction()
        // Encoded once: printed with --json; a page is refused like the JSON when a value is not finite.
        let data = json || OutputTransaction.isPage(url) ? try JSONOutput.data(record) : Data()
        let report = try output.write(figure: { try record.figure(scoreLimit: scoreLimit, top: top) },
                                      page: { try ResultPages.explanation(record, scoreLimit: scoreLimit) }, to: url)
        for warning in report?.warnings ?? [] { Console.note("warning: \(warning)") }
        // Beside a page, the head and neuron pictures are PNGs.
        let extras = try latents.write(record, beside: OutputTransaction.pictureBase(beside: url),
                                       into: output)
        if json {
            try emitJSON(data, output: output, pictures: [(OutputTransaction.label(of: url), url)] + extras.map { ("\($0.label) picture", $0.url) })
            return
        }
        print(summaryLine(record))
        print("  pos  score       token")
        for (i, token) in record.tokens.enumerated() {
            let mark = i == record.extra.targetIndex && !record.appendsTarget && !record.explainsSimilarity
                ? "  ← explained position" : ""
            print(String(format: "%5d  %+.5f  ", i, token.score) + token.text.debugDescription + mark)
        }
        if let neurons = record.extra.neurons { LatentPictures.printTable(neurons) }
        try output.commit(naming: [OutputTransaction.line(naming: url)] + extras.map { "\($0.label) picture: \($0.url.path)" })
    }

    static func summaryLine(_ record: ExplanationRecord) -> String {
        let t = record.target, p = record.parameters
        var method = record.method
        if let conv = p["convolutionGamma"], let linear = p["linearGamma"] { method += " (Gamma: γ \(conv) conv, \(linear) linear)" }
        if record.explainsSimilarity, let compared = p["compare"] {
            let value = p["value"].map { " (\(p["similarity"] ?? "similarity") \($0))" } ?? ""
            return "explaining the similarity to “\(compared)”\(value) with \(method)"
        }
        let sigmoid = p["scores"] == "sigmoid" ? " (sigmoid)" : ""
        let odds = [t.prob.map { String(format: "p=%.4f", $0) + sigmoid }, t.logit.map { String(format: "logit %.4f", $0) }]
            .compactMap { $0 }.joined(separator: ", ")
        var what = t.id >= 0 ? "“\(TokenText.visible(t.text))” (id \(t.id)\(odds.isEmpty ? "" : ", " + odds))" : "position \(t.position)"
        if let contrast = p["contrastText"], let id = p["contrast"] { what += " rather than “\(contrast)” (id \(id))" }
        if p["seed"] == "contrastive" { what += " with the contrastive seed" }
        return "explaining \(what) at position \(t.position) with \(method)"
    }
}

/// Where pictures go: `--out`, or `output/NAME.png` in the current folder.
enum PictureOutput {
    /// The picture's destination: `--out` (bad usage when empty or a file of the loaded model,
    /// `ModelFiles`), or `output/NAME.png` in the current folder (created).
    static func url(_ out: String?, defaultName: String) throws -> URL {
        if let out {
            guard !out.isEmpty else { throw UsageMistake("--out is empty; give a file name ending in .png, .svg, .pdf or .html") }
            try ModelFiles.refuse(output: out, option: "--out")        // after the load: before any work
            return URL(fileURLWithPath: (out as NSString).expandingTildeInPath)
        }
        let folder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("output")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent(defaultName + ".png")
    }

    /// Checks a given `--out` before any work (`OutputTransaction.checkDestination`), so a bad
    /// extension or a missing folder is reported before a long computation, not after it.
    static func checkEarly(_ out: String?) throws {
        guard let out else { return }
        try OutputTransaction.checkDestination(try url(out, defaultName: ""))
    }

    /// A file-name-safe version of a model name or path.
    static func slug(_ text: String) -> String {
        let base = URL(fileURLWithPath: text).lastPathComponent
        return String(base.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "-" })
    }
}
