import Foundation
import Glassbox

/// `explain --generate N` / `--continuation TEXT`: attribution of every generated token to the
/// tokens before it (docs/methods.md §12), as a targets × sources matrix, a heatmap, token strips
/// for `--targets` and `--json` (`SequenceExplanationRecord`).
extension ExplainCommand {
    /// The methods that explain sequences.
    static let sequenceMethods: [ExplainMethod] = [.attnlrp, .cpLRP, .gradInput, .atman, .rollout]

    /// Whether this run explains a generated or forced continuation.
    var explainsSequence: Bool { generate != nil || continuation != nil }

    /// The first option mistake of sequence mode (exit 2), found before loading the model.
    var sequenceUsageProblem: SequenceUsage? {
        guard explainsSequence else {
            if targets != nil { return .needsSequence("--targets") }
            if sentences { return .needsSequence("--sentences") }
            return nil
        }
        if generate != nil && continuation != nil { return .both("--generate", "--continuation") }
        if let generate, generate < 1 { return .badCount(generate) }
        if !Self.sequenceMethods.contains(method) { return .method(method.rawValue) }
        let excluded: [(Bool, String)] = [
            (position != nil, "--position"), (target != nil, "--target"), (targetId != nil, "--target-id"),
            (compare != nil, "--compare"), (compareIds != nil, "--compare-ids"), (heads, "--heads"), (neurons, "--neurons"),
            (neuronCount != nil, "--neuron-count"), (granularity != nil, "--granularity"), (seed != nil, "--seed"),
            (input.image != nil, "--image"), (colorScale.top != nil, "--top"),
        ]
        if let option = excluded.first(where: \.0)?.1 { return .excludes(option) }
        if let problem = methodOptionProblem { return .methodOption(problem.errorDescription ?? "\(problem)") }
        if let discardRatio, discardRatio.value != 0 { return .discardRatio(discardRatio.text) }
        if words && sentences { return .both("--words", "--sentences") }
        if (words || sentences) && !input.givesPrompt { return .groupsNeedPrompt(words ? "--words" : "--sentences") }
        if continuation != nil && !input.givesPrompt { return .continuationNeedsPrompt }
        if let continuation, continuation.isEmpty { return .emptyContinuation }
        if contrast != nil && contrastId != nil { return .both("--contrast", "--contrast-id") }
        if let targets, (try? Self.targetList(targets)) == nil { return .badTargets(targets) }
        return nil
    }

    /// `--targets 0,2,5` → `[0, 2, 5]`, each row once (a repeated row would redraw the same
    /// strip); throws for a malformed list.
    static func targetList(_ text: String) throws -> [Int] {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let values = fields.compactMap { Int($0) }
        guard !fields.isEmpty, values.count == fields.count, values.allSatisfy({ $0 >= 0 }) else { throw SequenceUsage.badTargets(text) }
        var seen = Set<Int>()
        return values.filter { seen.insert($0).inserted }
    }

    /// Explains the sequence and writes the heatmap, the strips and the table or JSON.
    func runSequence() throws {
        let memory = MemoryGate()
        let loaded = try modelOptions.load()
        let record = try withProductPrecision(precision.value) { try sequenceRecord(loaded, memory: memory) }
        let url = try PictureOutput.url(out, defaultName: "explain-sequence-\(record.method)-\(PictureOutput.slug(record.model.name))")
        let output = OutputTransaction()
        // Encoded once: printed with --json; a page is refused like the JSON when a value is not finite.
        let data = json || OutputTransaction.isPage(url) ? try JSONOutput.data(record) : Data()
        let report = try output.write(figure: { try record.heatmap(scoreLimit: colorScale.scoreLimit) },
                                      page: { try ResultPages.sequence(record, scoreLimit: colorScale.scoreLimit) }, to: url)
        for warning in report?.warnings ?? [] { Console.note("warning: \(warning)") }
        var strips: [URL] = []
        let stripBase = OutputTransaction.pictureBase(beside: url)   // strips are pictures
        for index in record.strips {
            let stripURL = LatentPictures.sibling(of: stripBase, suffix: "target-\(index)")
            let stripReport = try output.render(try record.strip(index, scoreLimit: colorScale.scoreLimit), to: stripURL)
            for warning in stripReport.warnings { Console.note("warning: \(warning)") }
            strips.append(stripURL)
        }
        if json {
            try ExplanationOutput.emitJSON(data, output: output, pictures: [(OutputTransaction.label(of: url), url)] + strips.map { ("strip picture", $0) })
            return
        }
        printSequenceTable(record)
        try output.commit(naming: [OutputTransaction.line(naming: url)] + strips.map { "strip picture: \($0.path)" })
    }

    /// The compact table: per target row its probability, entropy and three strongest sources.
    func printSequenceTable(_ record: SequenceExplanationRecord) {
        let mode = record.parameters["mode"] ?? "sequence"
        print("explaining \(record.generated.count) \(mode) \(record.unit)\(record.generated.count == 1 ? "" : "s") with \(record.method)")
        print("  pos  \("target".padding(toLength: 16, withPad: " ", startingAt: 0))  prob    entropy  top sources (score)")
        for (i, row) in record.generated.enumerated() {
            var defined: [(index: Int, score: Double)] = []
            for (j, value) in record.matrix[i].enumerated() { if let value { defined.append((j, value)) } }
            let ranked = defined.sorted { a, b in abs(a.score) > abs(b.score) || (abs(a.score) == abs(b.score) && a.index < b.index) }
            let sources = ranked.prefix(3).map { source -> String in
                record.tokens[source.index].text.debugDescription + String(format: " %+.4f", source.score)
            }.joined(separator: ", ")
            let text = row.text.debugDescription.padding(toLength: max(16, row.text.debugDescription.count), withPad: " ", startingAt: 0)
            let contrast = row.contrast.map { String(format: "  Δlogit %+.4f", $0) } ?? ""
            print(String(format: "%5d  %@  %.4f  %7.4f  ", row.position, text, row.prob, row.entropy) + sources + contrast)
        }
    }

    /// The sequence and its attribution on `loaded`, as a record. `memory` (read before the model
    /// loaded) refuses a sequence (prompt and continuation) the memory would not hold.
    func sequenceRecord(_ loaded: LoadedModel, memory: MemoryGate?) throws -> SequenceExplanationRecord {
        let model = loaded.model, arch = model.architecture
        guard arch.mask == .causal, arch.head == .languageModel, arch.image == nil else { throw SequenceProblem.notCausal(arch.modelType) }
        try IndexOutOfRange.layer(startLayer, option: "--start-layer", layers: arch.layers)
        let sequence = try SequenceInput.prepare(self, loaded)
        // The sequence engine keeps every layer's activations and [H, n, n] patterns for its
        // backward passes (measured: 1.57 GB for 712 tokens of an 8-layer, d 1024 model whose
        // weights take 0.75 GB; this estimate 2.1 GB).
        // Rollout over a sequence keeps logits of every target row besides its matrices: counted as
        // every hook too.
        let profile: MemoryEstimate.Profile = switch memoryProfile(available: memory?.available, layers: arch.layers) {
        case .relevanceSweep, .rollout: .cachedForward
        case let other: other
        }
        try memory?.check(model, tokens: sequence.ids.count, profile: profile, force: force)
        if let note = sequence.boundaryNote { Console.note(note) }
        let contrastID = try loaded.outputID(text: contrast, id: contrastId, option: "--contrast", labels: nil, count: arch.vocabSize)
        var options = SequenceOptions(contrast: contrastID,
                                      relevance: RelevanceOptions(attention: (attention ?? .auto).path,
                                                                               checkpointing: (checkpoint ?? .auto).checkpointing))
        switch method {
        case .atman: options.method = .atman
        case .rollout: options.method = .rollout
        default: options.method = .relevance(method.relevanceMethod ?? .attnLRP)
        }
        if let factor { options.atman.factor = factor.value }
        if noConceptual { options.atman.kappa = nil } else if let kappa { options.atman.kappa = kappa.value }
        options.rollout = RolloutOptions(startLayer: startLayer ?? 0, headFusion: (headFusion ?? .mean).fusion,
                                         addResidual: !noResidual, discardRatio: discardRatio?.value ?? 0)
        let count = sequence.ids.count - sequence.promptLength
        if count >= 8 || sequence.ids.count >= 512 { options.progress = Console.progress(label: method.rawValue) }
        let result = try SequenceAttribution.explain(model, ids: sequence.ids, promptLength: sequence.promptLength, options: options)
        var record = try sequence.record(result, loaded: loaded, unit: words ? .word : sentences ? .sentence : .token)
        record.parameters["mode"] = generate != nil ? "generated" : "forced"
        if let boundary = sequence.boundary { record.parameters["boundary"] = boundary }
        if let contrast = options.contrast { record.parameters["contrastText"] = loaded.text(contrast) }
        let strips = try targets.map(Self.targetList) ?? []
        if let bad = strips.first(where: { $0 >= record.generated.count }) {
            throw UsageMistake("--targets \(bad) is outside the \(record.generated.count) target rows (0..<\(record.generated.count))")
        }
        record.strips = strips
        return record
    }
}

/// Option mistakes of `explain --generate` / `--continuation` (exit code 2).
enum SequenceUsage: UsageProblem, Equatable {
    case needsSequence(String)
    case both(String, String)
    case badCount(Int)
    case method(String)
    case excludes(String)
    case groupsNeedPrompt(String)
    case continuationNeedsPrompt
    case emptyContinuation
    case badTargets(String)
    /// A method's own option with another method (the single-step message).
    case methodOption(String)
    /// A non-zero `--discard-ratio` (as typed), which sequence rollout cannot honour.
    case discardRatio(String)

    var errorDescription: String? {
        switch self {
        case .needsSequence(let option): "\(option) applies only with --generate N or --continuation TEXT"
        case .both(let a, let b): "give \(a) or \(b), not both"
        case .badCount(let n): "--generate needs at least 1 new token, got \(n)"
        case .method(let m):
            "--method \(m) does not explain sequences; use one of \(ExplainCommand.sequenceMethods.map(\.rawValue).joined(separator: ", "))"
        case .excludes(let option):
            "\(option) does not apply when explaining a sequence (--generate / --continuation explain every generated token); leave it out"
        case .groupsNeedPrompt(let option): "\(option) needs a text prompt (word boundaries come from the tokenizer's offsets), not --ids"
        case .continuationNeedsPrompt: "--continuation needs a text prompt (it is tokenized together with the prompt), not --ids"
        case .emptyContinuation: "--continuation needs a non-empty text"
        case .methodOption(let message): message
        case .discardRatio(let text):
            "--discard-ratio \(text) does not apply when explaining a sequence (the discarded share would depend on each row's length, so rows would differ from single-step rollout); leave it out"
        case .badTargets(let text): "--targets takes target row indices from 0, separated by commas (e.g. 0,2), got \(text.debugDescription)"
        }
    }
}

/// Models that cannot explain a sequence (exit code 1).
enum SequenceProblem: Error, LocalizedError {
    case notCausal(String)
    case noContinuationTokens(String)
    case noPromptTokens

    var errorDescription: String? {
        switch self {
        case .notCausal(let type):
            "this \(type) model does not generate text: --generate and --continuation need a causal language model (GPT-2, Llama, …)"
        case .noContinuationTokens(let text): "the continuation \(text.debugDescription) adds no token after the prompt"
        case .noPromptTokens: "no prompt token is left before the continuation: give a longer prompt"
        }
    }
}
