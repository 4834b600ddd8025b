import ArgumentParser
import Foundation
import Glassbox

/// `glassbox generate`: continues a prompt with a causal language model, one token per decode step
/// over a KV cache (docs/methods.md §11), streaming the text as it is produced.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt (causal LMs): greedy, or seeded sampling; streams the text.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var input: TextInputOptions

    @Option(name: .long, parsing: .unconditional, help: "At most this many new tokens.")
    var maxTokens = 32

    @Option(name: .long, parsing: .unconditional, help: "Sample with this temperature (> 0; default 1 when sampling).")
    var temperature: TypedNumber<Double>?

    @Option(name: .long, parsing: .unconditional, help: "Sample from the K most likely tokens only (≥ 1).")
    var topK: Int?

    @Option(name: .long, parsing: .unconditional, help: "Sample from the most likely tokens whose probability reaches P (0 < P ≤ 1).")
    var topP: TypedNumber<Double>?

    @Option(name: .long, parsing: .unconditional, help: "Seed of the sampler (SplitMix64; default 0). Any sampling option turns greedy decoding off.")
    var seed: UInt64?

    @Option(name: .long, help: "Stop when the generated text contains this text (it is left out of the output).")
    var stop: String?

    @Flag(name: .long, help: "Print one JSON object on stdout (ids, texts, log-probabilities, entropies) instead of streaming.")
    var json = false

    func validate() throws {
        // Generation continues text; an image would otherwise load the text model.
        if input.image != nil { throw ValidationError("--image: generate continues a text, so it needs a text model; give a prompt or --ids") }
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1, got \(maxTokens)") }
        if let stop, stop.isEmpty { throw ValidationError("--stop needs a non-empty text") }
        // Read as a Double, so that 1e-300 is not Float's 0; a refused value is printed as typed.
        if let t = temperature, !(t.value > 0 && t.value <= Double(Float.greatestFiniteMagnitude)) {
            let bound = t.value > 0 ? "at most Float's largest, 3.4e38" : "above 0"
            throw ValidationError("--temperature: the temperature must be a number \(bound), got \(t.text)")
        }
        // Also a Double, so that 1e-300 is accepted as transformers accepts it (0 < top_p ≤ 1).
        if let p = topP, !(p.value > 0 && p.value <= 1) { throw ValidationError("--top-p: top-p must be in (0, 1], got \(p.text)") }
        do { try sampling.validate() } catch let error as SamplingError {
            let option = switch error { case .temperature: "--temperature"; case .topK: "--top-k"; case .topP: "--top-p" }
            throw ValidationError("\(option): " + (error.errorDescription ?? "\(error)"))
        }
    }

    /// Greedy unless a sampling option is given; transformers' warper order (temperature, top-k, top-p).
    var sampling: Sampling {
        guard temperature != nil || topK != nil || topP != nil || seed != nil else { return .greedy }
        // A positive temperature below Float's smallest is that smallest: sampling at it is greedy.
        let t = temperature.map { Float(max($0.value, Double(Float.leastNonzeroMagnitude))) } ?? 1
        // A positive top-p below Float's smallest is that smallest: 1 − p is 1 either way, so only
        // the most probable token stays, as in transformers.
        let p = topP.map { Float(max($0.value, Double(Float.leastNonzeroMagnitude))) }
        return .sample(temperature: t, topK: topK, topP: p, seed: seed ?? 0)
    }

    func run() throws {
        let loaded = try modelOptions.load()
        _ = try KVCache(for: loaded.model)            // encoders and ViTs: one line, exit 1
        let prepared = try PreparedInput.prepare(loaded, input: input)
        let tokenizer = try? loaded.tokenizer.get()
        // As transformers' text-generation pipeline decodes: special tokens skipped, spaces cleaned up.
        let decode: ([Int]) -> String = { ids in
            tokenizer.map { ContinuationText.cleanUp($0.decode(ids, skipSpecialTokens: true)) } ?? ids.map(loaded.text).joined()
        }
        let continuation = ContinuationText(prompt: prepared.ids, decode: decode)
        let options = GenerationOptions(maxTokens: maxTokens, sampling: sampling,
                                        stopIDs: try Self.endOfSequenceIDs(loaded.directory.url))
        // Each token decodes a short window only (StreamingDecoder), so streaming stays linear.
        // Primed with the prompt, so that the first piece is cut from the prompt's text as the
        // pipeline cuts it (a leading "▁" keeps its space); what priming returns is the prompt's.
        var decoder = StreamingDecoder(decode: decode)
        for id in prepared.ids { _ = decoder.append(id) }
        var filter = StopTextFilter(stop)
        var shown = ""                                  // the text streamed so far (printed unless --json)
        func show(_ piece: String) {
            guard !piece.isEmpty else { return }
            shown += piece
            if !json { Self.stream(piece) }
        }
        let streams = !json || stop != nil              // decoding as it goes: to print, or to find the stop text
        let result = try Generation.run(model: loaded.model, prompt: prepared.ids, options: options) { token, _ in
            guard streams else { return true }
            let (piece, stopped) = filter.pass(decoder.append(token.id))
            show(piece)
            return !stopped
        }
        // The whole text once; what is still held back (a last incomplete character, a possible
        // start of the stop text) is streamed from it.
        let text = result.stop == .caller ? shown : continuation.text(result.tokens.map(\.id))
        if text.utf8.starts(with: shown.utf8) { show(String(decoding: text.utf8.dropFirst(shown.utf8.count), as: UTF8.self)) }
        if result.stop == .context {
            // Said on stderr, not only in --json's "stop": fewer tokens than asked is otherwise silent.
            Console.note("generate: stopped after \(result.tokens.count) of \(maxTokens) tokens: the prompt (\(prepared.ids.count) tokens) "
                         + "and the generated tokens fill the model's context of \(loaded.model.architecture.contextLength) positions")
        }
        if json {
            try Console.json(Self.object(loaded, prepared: prepared, result: result, text: text,
                                         pieces: continuation.pieces(result.tokens.map(\.id))))
            return
        }
        Self.stream("\n")
    }

    /// The `--json` object.
    static func object(_ loaded: LoadedModel, prepared: PreparedInput, result: GenerationResult, text: String,
                       pieces: [String]) -> [String: Any] {
        var object: [String: Any] = [
            "glassbox": GlassboxVersion.string, "command": "generate", "model": loaded.jsonDescription,
            "prompt": prepared.prompt as Any? ?? NSNull(), "prompt_tokens": prepared.jsonTokens,
            "tokens": zip(result.tokens, pieces).map { token, piece in
                ["id": token.id, "text": piece, "logprob": Double(token.logprob), "entropy": Double(token.entropy)] as [String: Any]
            },
            "text": text, "stop": result.stop.rawValue,
        ]
        // With --chat, "prompt" stays the text the prompt tokens point into: the rendering.
        if let chat = prepared.chat { object.merge(chat.json) { _, new in new } }
        return object
    }

    /// Writes `text` on stdout at once (streaming).
    static func stream(_ text: String) {
        Console.write(Data(text.utf8))
        if let code = StandardStreams.flushOut() { Console.failStandardOutput(code) }
    }

    /// The end-of-sequence ids of the checkpoint: `eos_token_id` (a number or a list) of
    /// generation_config.json, else of config.json; none when neither names one. A
    /// generation_config.json that is there but not a JSON object Python reads (a byte-order mark,
    /// a syntax error) is an error, as it is for transformers' `GenerationConfig`, not a file to skip.
    static func endOfSequenceIDs(_ directory: URL) throws -> Set<Int> {
        for file in ["generation_config.json", "config.json"] {
            let url = directory.appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let data = try InputFile.readPythonJSON(url, limit: InputLimits.configFileBytes)
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                let place = LastKeyWins.syntaxErrorPlace(data)
                throw CLIError.malformedGenerationConfig(path: url.path, detail: place.map { "is not valid JSON \($0)" } ?? "is not a JSON object")
            }
            guard let eos = object["eos_token_id"], !(eos is NSNull) else { continue }
            if let id = Self.tokenID(eos) { return [id] }
            if let list = eos as? [Any], !list.isEmpty {
                let ids = list.compactMap(Self.tokenID)
                if ids.count == list.count { return Set(ids) }
            }
            // transformers fails on these too (a TypeError, an overflow, an IndexError on []).
            throw CLIError.malformedGenerationConfig(path: url.path, detail: "has an eos_token_id that is neither a token id nor a non-empty list of them")
        }
        return []
    }

    /// A JSON number as transformers reads a token id (`torch.tensor(...).long()`): `38`, `38.0`,
    /// `true` as Python's 1, `11.5` truncated to 11; nil for a string, NaN, ±∞ or a number beyond
    /// 64 bits (transformers fails on those).
    private static func tokenID(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !(value is String) else { return nil }
        let double = number.doubleValue
        guard double.isFinite, abs(double) < 9.2e18 else { return nil }
        return Int(double.rounded(.towardZero))
    }
}
