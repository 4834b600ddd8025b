import ArgumentParser
import Foundation
import Glassbox

/// `glassbox neurons`: FFN key-value memories (Geva et al. 2021, 2022): a neuron's value tokens,
/// the dominant sub-updates of a prompt, or trigger examples from a corpus scan.
struct NeuronsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neurons",
        abstract: "FFN memories: a neuron's value tokens, a prompt's dominant sub-updates, or trigger examples from a corpus.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var memoryOptions: MemoryOptions
    @Argument(help: "A prompt: show its dominant sub-updates at --position.") var text: String?
    @Option(parsing: .unconditional, help: "Token ids instead of a prompt.") var ids: String?
    @Option(parsing: .unconditional, help: "The layer.") var layer: Int
    @Option(parsing: .unconditional, help: "A neuron: its value tokens (and, with --corpus, its trigger examples); in a mixture of experts, expert e's neuron i is e·d_ff + i.") var neuron: Int?
    @Option(parsing: .unconditional, help: "The position of the sub-updates (default: last; needs a prompt or --ids).") var position: Int?
    @Option(help: "A text file to scan for trigger examples (one example per blank-line-separated paragraph; longer than the context: scanned in context-length windows).", completion: .file())
    var corpus: String?
    @Option(parsing: .unconditional, help: "Entries listed.") var topK = 10
    @Option(help: "Write the picture here (.png, .svg or .pdf; default: output/neurons-LLAYER-MODEL.png).", completion: .file()) var out: String?
    @Flag(help: "Print one JSON object on stdout.") var json = false
    @Flag(name: .customLong("replace-invalid-utf8"), help: "Replace bytes that are not valid UTF-8 (in the prompt or the corpus) with U+FFFD instead of stopping.")
    var replaceInvalidUTF8 = false

    func validate() throws {
        if topK < 1 { throw ValidationError("--top-k must be at least 1, got \(topK)") }
        if text != nil && ids != nil { throw ValidationError("give a prompt or --ids, not both") }
        if position != nil && text == nil && ids == nil {
            throw ValidationError("--position places the sub-updates of a prompt: give a prompt or --ids, or leave out --position")
        }
        if text == nil && ids == nil && neuron == nil && corpus == nil {
            throw ValidationError("give a prompt or --ids (sub-updates), --neuron (value tokens) or --corpus (trigger examples)")
        }
    }

    func run() throws {
        try PictureOutput.checkEarly(out)
        let memory = MemoryGate()
        let loaded = try modelOptions.load()
        let model = loaded.model
        try IndexOutOfRange.layer(layer, layers: model.architecture.layers)
        let vocab = model.architecture.vocabSize
        let texts: [String]? = vocab > 0 ? (0..<vocab).map(loaded.text) : nil
        let name = PictureOutput.slug(loaded.spec)
        let url = try PictureOutput.url(out, defaultName: "neurons-L\(layer)-\(name)")
        var object: [String: Any] = ["glassbox": GlassboxVersion.string, "command": "neurons", "model": loaded.jsonDescription,
                                     "layer": layer]
        var lines: [String] = []
        var drawsPicture = false

        if let neuron {
            let value = try ParameterProjection.ffnValue(model, layer: layer, neuron: neuron, k: topK, texts: texts)
            let place = FFNMemories.locate(model, layer: layer, neuron: neuron)
            object["value"] = (["neuron": neuron, "norm": Double(value.norm),
                                "top": value.top.map { ["id": $0.id, "text": $0.text ?? "", "score": Double($0.score)] as [String: Any] }]
                               as [String: Any]).merging(place.jsonFields) { $1 }
            lines.append("layer \(layer) \(place.label) value (‖v‖ = \(String(format: "%.3f", value.norm))) promotes: "
                         + value.top.map { ($0.text ?? "<\($0.id)>").debugDescription }.joined(separator: " "))
            try JSONOutput.checkFinite(["value": object["value"]!], what: "layer \(layer) \(place.label)'s value-token scores", json: json,
                                       allowNonfinite: modelOptions.allowNonfinite)
            drawsPicture = true
        }
        if text != nil || ids != nil {
            let tokenIDs: [Int] = if let text { try loaded.context.encode(text).ids }
                else { try InputOptions.parseIDs(ids ?? "") }
            guard !tokenIDs.isEmpty else { throw CLIError.emptyInput }
            if let position, !tokenIDs.indices.contains(position) { throw CLIError.positionOutOfRange(position, length: tokenIDs.count) }
            try memory.check(model, tokens: tokenIDs.count, profile: .storedActivations(perLayer: 3, stackedRows: 0), force: memoryOptions.force)
            let updates = try FFNMemories.dominantSubUpdates(model, .tokens(tokenIDs, types: nil),
                                                             position: position, layers: [layer], count: topK, texts: texts)
            let top = updates.layers[0].updates
            object["subUpdates"] = ["position": updates.position, "updates": top.map { u in
                (["neuron": u.neuron, "coefficient": Double(u.coefficient), "valueNorm": Double(u.valueNorm), "score": Double(u.score),
                  "tokens": u.tokens.map { ["id": $0.id, "text": $0.text ?? "", "score": Double($0.score)] as [String: Any] }]
                    as [String: Any]).merging(FFNMemories.locate(model, layer: layer, neuron: u.neuron).jsonFields) { $1 }
            }]
            // Coefficients come from a checked forward pass, but |m|·‖v‖ and m·v can still overflow.
            try JSONOutput.checkFinite(["subUpdates": object["subUpdates"]!], what: "layer \(layer)'s sub-update scores at position \(updates.position)",
                                       json: json, allowNonfinite: modelOptions.allowNonfinite)
            lines.append("dominant sub-updates of layer \(layer) at position \(updates.position) (|m|·‖v‖, top tokens of m·v):")
            for u in top {
                let place = FFNMemories.locate(model, layer: layer, neuron: u.neuron)
                let label = place.expert == nil && !place.shared ? String(format: "neuron %5d", u.neuron) : place.label.padding(toLength: 20, withPad: " ", startingAt: 0)
                lines.append("  " + label + String(format: "  %8.3f  ", u.score)
                             + u.tokens.prefix(5).map { ($0.text ?? "<\($0.id)>").debugDescription }.joined(separator: " "))
            }
            drawsPicture = true
        }
        if let corpus {
            let tokenizer = try loaded.tokenizer.get()
            // Streamed in bounded memory: paragraphs of at most 1 MiB at a time; the scan runs a
            // paragraph longer than the context in consecutive context-length windows.
            var reader = try CorpusReader(path: (corpus as NSString).expandingTildeInPath,
                                          replaceInvalidUTF8: replaceInvalidUTF8)
            defer { reader.close() }
            let context = model.architecture.contextLength
            var windowed = 0
            let status = StatusLine()
            let result = try FFNMemories.scanTriggers(model, options: .init(layers: [layer], examplesPerNeuron: topK), next: {
                while let paragraph = try reader.next() {
                    let ids = try tokenizer.encode(paragraph).ids
                    if ids.count > context { windowed += 1 }
                    if !ids.isEmpty { return ids }
                }
                return nil
            }, progress: { p in
                status.show(String(format: "scan: %d sequences, %d tokens, %.0f tokens/s", p.sequences, p.tokens, p.tokensPerSecond))
            })
            status.finish()
            if windowed > 0 || reader.longParagraphs > 0 {
                Console.note("note: \(windowed) paragraph(s) longer than the \(context)-token context were scanned in "
                             + "consecutive \(context)-token windows"
                             + (reader.longParagraphs > 0 ? "; \(reader.longParagraphs) paragraph(s) over "
                                + "\(InputLimits.describe(bytes: InputLimits.corpusWindowBytes)) were read in "
                                + "\(InputLimits.describe(bytes: InputLimits.corpusWindowBytes)) pieces, each its own example" : ""))
            }
            let neurons = neuron.map { [$0] } ?? Array(0..<min(5, FFNMemories.neuronCount(model, layer: layer)))
            object["triggers"] = neurons.map { n in
                (["neuron": n, "examples": result.layers[0].neurons[n].map {
                    ["activation": Double($0.activation), "prefix": tokenizer.decode($0.prefix), "position": $0.position] as [String: Any]
                }] as [String: Any]).merging(FFNMemories.locate(model, layer: layer, neuron: n).jsonFields) { $1 }
            }
            object["triggerActivation"] = result.parameters["activation"] == "post"
                ? (model.architecture.experts == nil ? "mlp.hook_post" : "mlp.experts.E.hook_post × routing weight") : "mlp.hook_pre"
            for n in neurons {
                lines.append("\(FFNMemories.locate(model, layer: layer, neuron: n).label) is most active after:")
                for e in result.layers[0].neurons[n].prefix(topK) {
                    lines.append(String(format: "  %8.3f  ", e.activation) + "…" + tokenizer.decode(e.prefix).debugDescription)
                }
            }
        }
        let output = OutputTransaction()
        if drawsPicture, let figure = try ResultFigures.neurons(object) { try output.render(figure, to: url) }
        if json {
            try output.commitJSON(object, picture: drawsPicture ? url : nil)
            return
        }
        lines.forEach { print($0) }
        try output.commit(naming: drawsPicture ? ["picture: \(url.path)"] : [])
    }
}
