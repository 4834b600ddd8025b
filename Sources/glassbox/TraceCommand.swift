import ArgumentParser
import Foundation
import Glassbox

/// `glassbox trace`: causal tracing (Meng et al. 2022, docs/methods.md §10.3) — noise the
/// embeddings of a span, restore one state at a time, and see where the answer comes back.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Causal tracing (ROME): noise a span's embeddings, restore states one at a time (residual, MLP, attention panels).")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var memoryOptions: MemoryOptions
    @OptionGroup var input: TextInputOptions
    @Option(name: .customLong("noise-span"), parsing: .unconditional, help: ArgumentHelp("The noised positions, A:B (A included, B not).", valueName: "A:B"))
    var noiseSpan: String
    @Option(name: .customLong("noise-scale"), parsing: .unconditional, help: "Noise standard deviation as a multiple of the embedding matrix's standard deviation (ROME: 3 × the subject tokens' embedding std over a corpus).")
    var noiseScale = TypedNumber<Float>(3)
    @Option(help: "Layers restored together in the MLP and attention panels (ROME uses 10).") var window = 1
    @Option(help: "Noise samples averaged.") var samples = 10
    @Option(parsing: .unconditional, help: "Seed of the noise.") var seed: UInt64 = 0
    @Option(help: "The answer token (default: the clean run's top prediction; a class label for classifiers).") var answer: String?
    @Option(name: .customLong("answer-id"), parsing: .unconditional, help: "The answer as a token id (or class index).") var answerID: Int?
    @Option(parsing: .unconditional, help: "The position whose prediction is measured (default: the last token; not for classifiers).") var position: Int?
    @Option(help: "Write the picture here (.png, .svg, .pdf, or .html for an interactive page; default: output/trace-MODEL.png).", completion: .file()) var out: String?
    @Flag(help: "Print one JSON object on stdout.") var json = false

    /// Upper bound of `--samples`, as `evaluate --random-seeds`: far above any useful value, low
    /// enough that a typo cannot ask for hours of noised runs.
    static let maximumSamples = 1_000

    func validate() throws {
        // Causal tracing noises token embeddings; an image would otherwise load the text model.
        if input.image != nil { throw ValidationError(Self.imageRefusal) }
        _ = try Self.span(noiseSpan)
        if window < 1 { throw ValidationError("--window must be at least 1, got \(window)") }
        if samples < 1 { throw ValidationError("--samples must be at least 1, got \(samples)") }
        if samples > Self.maximumSamples {
            throw ValidationError("--samples must be at most \(Self.maximumSamples) (each sample is a noised run of every restoration), got \(samples)")
        }
        if let problem = Self.noiseScaleProblem(noiseScale) { throw ValidationError(problem) }
        if answer != nil && answerID != nil { throw ValidationError("give the answer once: --answer or --answer-id") }
    }

    /// Why `--noise-scale` is refused, or nil: it must be > 0 (no noise leaves every normalised
    /// effect 0/0, which the run would refuse only at its end) and finite as a Float32 (above
    /// 3.4e38 it reads as infinity).
    static func noiseScaleProblem(_ scale: TypedNumber<Float>) -> String? {
        if scale.value.isInfinite {
            return "--noise-scale must be finite: at most \(Float.greatestFiniteMagnitude) (Float32's largest), got \(scale.text)"
        }
        guard scale.value > 0 else {
            let rounded = scale.value == 0 && (Double(scale.text) ?? 0) != 0 ? ", which is 0 as a Float32" : ""
            return "--noise-scale must be > 0 (0 adds no noise, so there is nothing to restore), got \(scale.text)\(rounded)"
        }
        return nil
    }

    /// Why `--image` is refused (exit 2, before loading anything).
    static let imageRefusal = "--image: causal tracing noises token embeddings, so it needs a text model; give a prompt or --ids"

    static func span(_ text: String) throws -> Range<Int> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a >= 0, b > a else {
            throw ValidationError("--noise-span must be A:B with 0 ≤ A < B (positions A..B-1), got '\(text)'")
        }
        return a..<b
    }

    func run() throws {
        try PictureOutput.checkEarly(out)
        let memory = MemoryGate()
        let loaded = try modelOptions.load()
        let arch = loaded.model.architecture
        guard arch.image == nil else { throw InputProblem.textModelNeeded(arch.modelType, command: "causal tracing") }
        // Classifiers: `--answer` is a class label and the one prediction has no position.
        let labels = arch.head.classLabels
        if position != nil, labels != nil {
            throw UsageMistake.positionOnClassifier(arch.modelType, role: "measured")
        }
        let prepared = try PreparedInput.prepare(loaded, input: input)
        try memory.check(loaded.model, prepared, profile: .storedActivations(perLayer: 6, stackedRows: SuffixOptions().rowBudget), force: memoryOptions.force)
        var options = CausalTracing.Options(noiseSpan: try Self.span(noiseSpan))
        guard options.noiseSpan.upperBound <= prepared.count else {
            throw InputProblem.spanPastInput(option: "--noise-span", span: noiseSpan, length: prepared.count)
        }
        options.noiseScale = noiseScale.value
        options.window = window
        options.samples = samples
        options.seed = seed
        options.position = position
        options.tokenTypes = prepared.encoding?.typeIDs
        options.answer = try loaded.outputID(text: answer, id: answerID, option: "--answer", labels: labels,
                                             count: labels?.count ?? arch.vocabSize)
        options.progress = Console.progress(label: "trace")
        let result = try CausalTracing.run(loaded.model, ids: prepared.ids, options: options)
        let answerText = labels?[result.answer] ?? loaded.text(result.answer)
        var metric: [String: Any] = ["name": "prob", "clean": Double(result.cleanProb), "corrupted": Double(result.corruptedProb),
                                     "position": result.position, "answer": ["id": result.answer, "text": answerText]]
        // Multi-label and one-output classifiers: p(answer) is σ(z_answer), as the pipeline shows it.
        let sigmoid = result.scores == .sigmoid
        if sigmoid { metric["scores"] = "sigmoid" }
        let object: [String: Any] = [
            "glassbox": GlassboxVersion.string, "command": "trace", "model": loaded.jsonDescription,
            "method": "causal-tracing", "direction": "denoise",
            "metric": metric,
            "noise": ["span": [options.noiseSpan.lowerBound, options.noiseSpan.upperBound], "scale": Double(noiseScale.value),
                      "std": Double(result.noiseStd), "samples": samples, "seed": seed, "window": window] as [String: Any],
            "tokens": prepared.jsonTokens,
            "results": result.maps.map { map in
                ["site": map.site, "axes": map.axes, "values": PatchJSON.nested(map.effect, map.shape),
                 "raw": PatchJSON.nested(map.raw, map.shape)] as [String: Any]
            },
        ]
        let url = try PictureOutput.url(out, defaultName: "trace-\(PictureOutput.slug(loaded.spec))")
        let output = OutputTransaction()
        let report = try output.write(figure: { try PatchFigures.figure(object) }, page: { try ResultPages.patching(object) }, to: url)
        for warning in report?.warnings ?? [] { Console.note("warning: \(warning)") }
        if json {
            try output.commitJSON(object, picture: url)
            return
        }
        print(String(format: "causal tracing of %@ at position %d: p%@ clean %.4f, noised %.4f (noise std %.4g, %d samples)",
                     answerText.debugDescription, result.position, sigmoid ? " (sigmoid)" : "", result.cleanProb, result.corruptedProb,
                     result.noiseStd, samples))
        for map in result.maps {
            let best = map.raw.indices.max { map.raw[$0] < map.raw[$1] }!
            print(String(format: "  %@: highest restored p %.4f at layer %d, position %d", map.site, map.raw[best],
                         best / map.shape[1], best % map.shape[1]))
        }
        try output.commit(naming: [OutputTransaction.line(naming: url)])
    }
}
