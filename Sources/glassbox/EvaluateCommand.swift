import ArgumentParser
import Foundation
import Glassbox

/// `glassbox evaluate`: how faithful each attribution method is on this model — perturbation curves
/// (MoRF, LeRF), ABPC, AOPC comprehensiveness and sufficiency with bootstrap intervals, against a
/// random ranking; optionally the cascading randomisation check (docs/methods.md §9).
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Which explanation can you trust? Perturbation curves, ABPC and AOPC per method, and a randomisation check.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var memoryOptions: MemoryOptions
    @Argument(help: "One prompt to evaluate on (or use --prompts / --images).") var text: String?
    @Option(help: ArgumentHelp("A file of inputs: one text per line, or JSONL records {\"text\": …} or {\"ids\": […]} with optional \"target\" and \"compare\".",
                               valueName: "file"), completion: .file())
    var prompts: String?
    @Option(help: ArgumentHelp("A folder of PNG images (vision models).", valueName: "folder"), completion: .directory) var images: String?
    @Option(help: ArgumentHelp("Methods to compare, comma-separated (default: all of \(EvaluatedMethod.allCases.map(\.rawValue).joined(separator: ","))); the random ranking is always added.",
                               valueName: "a,b,…"))
    var methods: String?
    @Option(parsing: .unconditional, help: "Equal fractions removed step by step (default 10; with fewer units, at most one per step).")
    var steps = 10
    @Option(help: ArgumentHelp("What a removed token's input embedding becomes: zero, mean (of the embedding table) or token:ID. Image patches always take the mean pixel value.",
                               valueName: "zero|mean|token:ID"))
    var baseline: String?
    @Option(parsing: .unconditional, help: "Evaluate at most this many inputs (the first ones).") var limit: Int?
    @Option(help: "Encoders without a head: evaluate the cosine similarity of each input to this text.") var compare: String?
    @Option(parsing: .unconditional, help: "Seeds of the random ranking, averaged (default 5).") var randomSeeds = 5
    @Flag(help: "Let the explained position itself be removed too (kept by default).") var includeTargetPosition = false
    @Option(parsing: .unconditional,
            help: "Run the cascading randomisation check (Adebayo et al. 2018) on the first N inputs (default 0: off).")
    var randomization = 0
    @Option(help: "Write the picture here (.png, .svg, .pdf, or .html for an interactive page; default: output/evaluate-MODEL.png).", completion: .file()) var out: String?
    @Flag(help: "Print one JSON object on stdout (what `glassbox render` reads).") var json = false
    @Option(help: ArgumentHelp("Also write the JSON object --json prints to this file (the table is still printed).", valueName: "result.json"), completion: .file())
    var saveJSON: String?

    /// Upper bounds of `--steps` and `--random-seeds`: far above any useful value, low enough
    /// that a typo cannot ask for gigabytes of curve points or hours of random curves.
    static let maximumSteps = 1_000, maximumRandomSeeds = 1_000

    func validate() throws {
        let given = [text != nil, prompts != nil, images != nil].filter { $0 }.count
        if given != 1 { throw ValidationError(given == 0 ? "no input: give a prompt, --prompts FILE or --images FOLDER" : "give one input: a prompt, --prompts or --images") }
        if steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
        if steps > Self.maximumSteps {
            throw ValidationError("--steps must be at most \(Self.maximumSteps) (each step is a point of every curve; steps beyond an input's removable tokens repeat a point), got \(steps)")
        }
        if randomSeeds > Self.maximumRandomSeeds {
            throw ValidationError("--random-seeds must be at most \(Self.maximumRandomSeeds) (each seed is a full random curve), got \(randomSeeds)")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        if randomSeeds < 1 { throw ValidationError("--random-seeds must be at least 1, got \(randomSeeds)") }
        if randomization < 0 { throw ValidationError("--randomization must not be negative, got \(randomization)") }
        if let baseline, PerturbationBaseline(parsing: baseline) == nil {
            throw ValidationError("--baseline must be zero, mean or token:ID, got '\(baseline)'")
        }
        if images != nil, let option = imageRefusedOption { throw ValidationError(Self.imageRefusal(option)) }
        if let methods { _ = try EvaluatedMethod.parseList(methods) }
    }

    /// The first option given that images do not use: patches always take the image's mean pixel
    /// value, and a classifier's one prediction has no explained position to keep.
    var imageRefusedOption: String? {
        if baseline != nil { return "--baseline" }
        if includeTargetPosition { return "--include-target-position" }
        return nil
    }

    /// Why `option` is refused with images (exit 2).
    static func imageRefusal(_ option: String) -> String {
        option == "--baseline"
            ? "--baseline applies to token inputs; image patches always take the image's mean pixel value, so leave it out"
            : "--include-target-position applies to token predictions; an image classifier's prediction has no position to keep, so leave it out"
    }

    func run() throws {
        try PictureOutput.checkEarly(out)
        if let prompts {
            for (option, path) in [("--save-json", saveJSON), ("--out", out)] {
                if let path { try SameFile.refuse(output: path, outputOption: option, input: prompts, inputOption: "--prompts") }
            }
        }
        let memory = MemoryGate()
        let loaded = try modelOptions.load(image: images != nil)
        let sources: [EvaluationSource]
        if let prompts {
            sources = try EvaluationInputs.read(prompts: prompts, limit: limit)
        } else if let images {
            sources = try EvaluationInputs.read(images: images, limit: limit)
        } else {
            guard let text, !text.isEmpty else { throw CLIError.emptyInput }
            sources = [EvaluationSource(text: text, origin: "the prompt")]
        }
        let url = try PictureOutput.url(out, defaultName: "evaluate-\(PictureOutput.slug(loaded.spec))")
        if let saveJSON {
            try ModelFiles.refuse(output: saveJSON, option: "--save-json")      // named as given
            if SameFile.check(saveJSON, url.path)
                || (try? OutputTransaction.target(of: URL(fileURLWithPath: saveJSON))) == (try? OutputTransaction.target(of: url)) {
                throw UsageMistake("--save-json \(saveJSON) is the picture's file \(url.path) too: give --save-json and --out different paths")
            }
            try OutputTransaction.checkDestination(URL(fileURLWithPath: saveJSON), kind: false, option: "--save-json")
        }
        let (object, report, similarity) = try evaluate(loaded, sources: sources, memory: memory)
        let arch = loaded.model.architecture
        let output = OutputTransaction()
        let picture = try output.write(figure: { try EvaluationFigure.figure(object) }, page: { try ResultPages.evaluation(object) }, to: url)
        for warning in picture?.warnings ?? [] { Console.note("warning: \(warning)") }
        if let saveJSON {
            try JSONOutput.check(object)
            try Console.jsonData(object).write(to: try output.stage(URL(fileURLWithPath: saveJSON), option: "--save-json"))
        }
        if json {
            try output.commitJSON(object, picture: url)
            return
        }
        let explainsTokens = !similarity && arch.head.predictsTokens
        let count = report.inputs.count
        let kind = (arch.image != nil ? "image" : "input") + (count == 1 ? "" : "s")
        let what = similarity ? "the similarity of \(count) pair\(count == 1 ? "" : "s")" : "\(count) \(kind)"
        let position = explainsTokens ? (includeTargetPosition ? ", explained position removable" : ", explained position kept") : ""
        let scores = report.scores == "sigmoid" ? ", target probability σ(label logit) (sigmoid)" : ""
        let header = "evaluated \(what) on \(loaded.spec): \(steps) steps, baseline \(report.baseline)\(position)\(scores)"
            + ", random ranking over \(randomSeeds) seeds; means with 95% bootstrap intervals"
        print(report.table(header: header))
        try output.commit(naming: [OutputTransaction.line(naming: url)])
    }

    /// The evaluation of `sources` on `loaded`: the `--json` object (also what `glassbox batch`
    /// writes per input, one source each), the report, and whether a similarity was evaluated.
    /// `memory` (read before the model loaded) refuses an input the memory would not hold: the
    /// largest estimate among the chosen methods and the perturbation passes.
    func evaluate(_ loaded: LoadedModel, sources: [EvaluationSource], memory: MemoryGate?) throws
        -> (object: [String: Any], report: EvaluationReport, similarity: Bool) {
        let model = loaded.model, arch = model.architecture
        let similarity = compare != nil || sources.contains { $0.compare != nil }
        if similarity, arch.mask == .causal || arch.image != nil {      // as `explain --compare` refuses them
            throw ExplainUsage.compareNeedsTextEncoder(modelType: arch.modelType, causal: arch.image == nil, command: "evaluate")
        }
        if arch.head == .none && !similarity {
            throw UsageMistake("this \(arch.modelType) checkpoint has no prediction head; evaluate a similarity with --compare TEXT (or \"compare\" in JSONL)")
        }
        let chosen = try EvaluatedMethod.chosen(methods, model: model, similarity: similarity)
        // Image inputs in batch lines reach here with the batch's options: refused as with --images.
        if arch.image != nil, let option = imageRefusedOption { throw UsageMistake(Self.imageRefusal(option)) }
        let parsedBaseline = PerturbationBaseline(parsing: baseline ?? "zero")!
        let textRow: [Float]? = arch.image == nil ? try parsedBaseline.row(for: model) : nil
        var report = EvaluationReport(methods: (chosen.map(\.rawValue) + ["random"]).map { EvaluationReport.MethodResult(name: $0) },
                                      steps: steps, baseline: arch.image == nil ? parsedBaseline.description : "mean-pixel")
        if similarity { report.quantity = "similarity" }
        if !similarity, arch.classScores == .sigmoid { report.scores = "sigmoid" }     // the curves read σ(z_label)
        // The methods run one after another, then the perturbation passes: the largest counts.
        let profiles = chosen.map { $0.memoryProfile(layers: arch.layers, available: memory?.available) } + [EvaluatedMethod.perturbationProfile]
        var memory = memory
        // --randomization's last stage holds a Float32 copy of every block's linear maps beside the model.
        if randomization > 0 { memory?.extraWeightBytes = 4 * model.weights.blockLinearParameterCount }
        let progress = Console.progress(label: "evaluate")
        var kept: [EvaluationItem] = []
        for (index, source) in sources.enumerated() {
            progress(index, sources.count)
            let item = try EvaluationItem.prepare(source, loaded: loaded, compare: compare, includeTargetPosition: includeTargetPosition)
            try memory?.check(model, item.prepared, profiles: profiles, force: memoryOptions.force)
            guard !item.units.isEmpty else {
                Console.note("\nskipped \(EvaluationProblem.nothingToRemove(source.origin).errorDescription!)")
                continue
            }
            let row: [Float] = if case .pixels(let pixels) = item.prepared.modelInput {
                try PerturbationBaseline.meanPixelRow(for: model, pixels: pixels)
            } else { textRow! }
            let runner = try PerturbationRunner(model: model, input: item.prepared.modelInput, target: item.perturbation, baselineRow: row)
            let scorings = try chosen.map { try item.scores($0, model: model) }
            var curves = try runner.curves(scorings, units: item.units, steps: steps)
            curves.append(try runner.randomCurves(units: item.units, steps: steps, seeds: (0..<randomSeeds).map(UInt64.init)))
            for (m, c) in curves.enumerated() {
                report.methods[m].curves.append(c)
                report.methods[m].metrics.append(FaithfulnessMetrics(c))
            }
            report.inputs.append(describe(item, source: source, original: runner.original))
            if kept.count < randomization { kept.append(item) }
        }
        progress(sources.count, sources.count)
        guard !report.inputs.isEmpty else { throw EvaluationProblem.noInputLeft }
        if randomization > 0 {
            let check = Console.progress(label: "randomisation")
            report.randomization = try RandomizationCheck.run(model, methods: chosen.map(\.rawValue), inputs: kept.count,
                                                              progress: { check($0, $1) }) { m, name, i in
                let scores = try kept[i].scores(EvaluatedMethod(rawValue: name)!, model: m)
                return kept[i].units.map { scores[$0] }
            }
        }
        let explainsTokens = !similarity && arch.head.predictsTokens
        var protocolInfo: [String: Any] = [
            "removal": arch.image == nil ? "input embedding replaced by the baseline" : "patch pixels replaced by the image's mean pixel value (per channel)",
            "specialTokensKept": true,
            "counts": "round(j · units / steps), halves up", "randomSeeds": randomSeeds,
            "bootstrap": ["resamples": 1000, "level": 0.95, "seed": Int(report.bootstrapSeed)],
        ]
        // Only a token prediction has an explained position that could be removed.
        if explainsTokens { protocolInfo["explainedPositionKept"] = !includeTargetPosition }
        let object = report.json(model: loaded.jsonDescription, protocolInfo: protocolInfo)
        try JSONOutput.check(object, writesJSON: json || saveJSON != nil || (out?.lowercased().hasSuffix(".html") ?? false))
        return (object, report, similarity)
    }

    private func describe(_ item: EvaluationItem, source: EvaluationSource, original: TargetReading) -> [String: Any] {
        var entry: [String: Any] = ["origin": source.origin, "length": item.prepared.count, "units": item.units.count]
        if let prompt = item.prepared.prompt { entry["text"] = prompt }
        if !item.prepared.ids.isEmpty { entry["ids"] = item.prepared.ids }
        if item.prepared.imagePath != nil { entry["image"] = source.origin }
        var target: [String: Any] = ["position": item.target.position, "text": item.target.text,
                                     "value": EvaluationReport.number(original.value),
                                     "prob": EvaluationReport.number(original.probability)]
        if let id = item.target.id { target["id"] = id }
        if let comparison = item.comparison { target["compare"] = comparison.text }
        entry["target"] = target
        return entry
    }
}
