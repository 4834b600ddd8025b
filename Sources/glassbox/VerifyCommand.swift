import ArgumentParser
import Foundation
import Glassbox

/// `glassbox verify`: does this checkpoint run as it should? Conservation, gradients, determinism,
/// finite values, and (with `--reference`) every hook point against a PyTorch trace.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that a checkpoint runs correctly: AttnLRP conservation, gradients, determinism, finite values, a PyTorch trace.",
        discussion: """
        Exit status 0 when every check passes; 1 with the first failing check (finite, when it fails) named on stderr. Without \
        --reference the input is --prompt / --ids / --image, or a fixed one (8 token ids spread over the \
        vocabulary, or seeded pixels); with --reference it is the trace's own input. scripts/trace.py \
        writes traces (docs/cli.md, "glassbox verify").
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var memoryOptions: MemoryOptions

    @Option(name: .long, help: ArgumentHelp("A trace written by scripts/trace.py: compare every hook point with it.", valueName: "trace.json"), completion: .file(extensions: ["json"]))
    var reference: String?

    @Option(name: .long, parsing: .unconditional, help: "The input text, tokenized with the model's tokenizer.")
    var prompt: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Token ids, comma-separated.", valueName: "1,2,3"))
    var ids: String?

    @Option(name: .long, help: ArgumentHelp("An image for vision models (PNG).", valueName: "file.png"), completion: .file(extensions: ["png"]))
    var image: String?

    @Option(name: .long, parsing: .unconditional, help: "Finite-difference step of the gradient check, relative to the RMS of the perturbed embedding row.")
    var gradientStep = TypedNumber<Float>(1e-2)

    @Option(name: .long, parsing: .unconditional, help: "Allowed gradient error, relative to the largest gradient entry.")
    var gradientTolerance = TypedNumber<Float>(1e-2)

    @Option(name: .long, parsing: .unconditional, help: "Reference check: allowed absolute difference per hook.")
    var referenceAtol = TypedNumber<Float>(1e-4)

    @Option(name: .long, parsing: .unconditional, help: "Reference check: allowed difference relative to the hook's largest |value|.")
    var referenceRtol = TypedNumber<Float>(1e-4)

    @Flag(name: .long, help: "Print one JSON object on stdout.")
    var json = false

    func validate() throws {
        if [prompt != nil, ids != nil, image != nil].filter({ $0 }).count > 1 {
            throw ValidationError("give at most one input: --prompt, --ids or --image")
        }
        if reference != nil && (prompt != nil || ids != nil || image != nil) {
            throw ValidationError("--reference runs the trace's own input; leave out --prompt, --ids and --image")
        }
        for (name, value) in [("--gradient-step", gradientStep), ("--gradient-tolerance", gradientTolerance)]
        where !(value.value > 0 && value.value.isFinite) {
            throw ValidationError("\(name) must be a positive number, got \(value.text)")
        }
        for (name, value) in [("--reference-atol", referenceAtol), ("--reference-rtol", referenceRtol)] where !(value.value >= 0 && value.value.isFinite) {
            throw ValidationError("\(name) must be a number ≥ 0, got \(value.text)")
        }
    }

    func run() throws {
        let trace = try reference.map(Self.readTrace)
        var isImage = image != nil
        if let trace, case .pixels = trace.input { isImage = true }
        var loadOptions = modelOptions
        loadOptions.allowNonfinite = true                      // the `finite` check reports them instead
        let memory = MemoryGate()
        let loaded = try loadOptions.load(image: isImage)
        let model = loaded.model
        let (input, described) = try modelInput(loaded, trace: trace)
        // The checks keep every hook of two runs (determinism) and the gradient passes' own:
        // three cached forwards' activations (measured on a GPT-2-small shape: 1.62 GB at 256
        // tokens, 8.19 GB at 1,024; one cached forward's estimate was 0.73 and 3.2 GB).
        var gate = memory
        gate.concurrentRuns = 3
        try gate.check(model, input: input, profile: .cachedForward, force: memoryOptions.force)

        var options = Verification.Options()
        options.gradientStep = gradientStep.value
        options.gradientTolerance = gradientTolerance.value
        options.referenceTolerance = .init(absolute: referenceAtol.value, relative: referenceRtol.value)
        let showsProgress = isatty(2) == 1
        let report = try Verification.run(model, input, reference: trace, options: options) { check in
            if showsProgress { Console.writeError("verify: \(check.rawValue)…\u{1B}[K\r") }
        }
        if showsProgress { Console.writeError("\u{1B}[K") }

        let rendering = VerifyRendering(report: report, loaded: loaded, input: described, referencePath: reference)
        if json { try Console.json(rendering.json) } else { rendering.printText() }
        if let failure = report.firstFailure { throw VerificationFailed(check: failure, detail: rendering.failureDetail(failure)) }
    }

    /// The input to run and how to describe it.
    private func modelInput(_ loaded: LoadedModel, trace: ReferenceTrace?) throws -> (ModelInput, VerifyRendering.InputDescription) {
        let arch = loaded.model.architecture
        if let trace {
            switch trace.input {
            case .tokens(let ids, _):
                guard arch.image == nil else { throw UsageMistake("the trace holds token ids but this \(arch.modelType) model reads images") }
                return (trace.input, .init(ids: ids, texts: ids.map(loaded.text), source: "the reference trace"))
            case .pixels(let pixels):
                guard arch.image != nil else { throw UsageMistake("the trace holds pixels but this \(arch.modelType) model reads text") }
                return (trace.input, .init(ids: nil, pixelShape: pixels.shape, source: "the reference trace"))
            }
        }
        if let image {
            guard arch.image != nil else { throw InputProblem.imageRefused(arch) }
            let url = URL(fileURLWithPath: (image as NSString).expandingTildeInPath)
            let input = try loaded.context.input(image: url, note: Console.note)
            let shape = if case .pixels(let pixels) = input { pixels.shape } else { [Int]() }
            return (input, .init(ids: nil, pixelShape: shape, source: url.path))
        }
        if (prompt != nil || ids != nil) && arch.image != nil { throw InputProblem.imageRequired(arch.modelType) }
        if let prompt {
            guard !prompt.isEmpty else { throw CLIError.emptyInput }
            let encoding = try loaded.context.encode(prompt)
            guard !encoding.isEmpty else { throw CLIError.promptWithoutTokens(prompt) }
            let tokenized = TokenizedInput(ids: encoding.ids, encoding: encoding, prompt: prompt)
            return (.tokens(encoding.ids, types: encoding.typeIDs),
                    .init(ids: encoding.ids, texts: tokenized.texts(loaded), source: "--prompt"))
        }
        if let ids {
            let parsed = try InputOptions.parseIDs(ids)
            return (.tokens(parsed, types: nil), .init(ids: parsed, texts: parsed.map(loaded.text), source: "--ids"))
        }
        let input = Verification.defaultInput(loaded.model)
        switch input {
        case .tokens(let ids, _): return (input, .init(ids: ids, texts: ids.map(loaded.text), source: "the default input"))
        case .pixels(let pixels): return (input, .init(ids: nil, pixelShape: pixels.shape, source: "the default input (seeded pixels)"))
        }
    }

    /// Reads and parses a trace file (regular files only, within `InputLimits.traceFileBytes`).
    static func readTrace(_ path: String) throws -> ReferenceTrace {
        let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
        let data = try InputFile.readJSON(url, limit: InputLimits.traceFileBytes, pythonSyntax: true)
        do {
            return try ReferenceTrace.decode(data)
        } catch let error as ReferenceTraceError {
            throw FileProblem(path: url.path, reason: error.errorDescription ?? "not a trace")
        }
    }
}

/// A check that failed: exit status 1, the check named on one line.
struct VerificationFailed: Error, LocalizedError {
    let check: Verification.Check
    let detail: String

    var errorDescription: String? { "verify: check '\(check.rawValue)' failed: \(detail)" }
}
