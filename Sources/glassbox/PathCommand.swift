import ArgumentParser
import Foundation
import Glassbox

/// `glassbox path`: path patching (Wang et al. 2022, docs/methods.md §10.4) — the effect of sender
/// heads on receivers (heads' q/k/v inputs, or the final residual) along the direct paths only.
struct PathCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "path",
        abstract: "Path patching: the effect of sender heads on receiver heads' q/k/v inputs, or on the final residual.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var memoryOptions: MemoryOptions
    @OptionGroup var inputs: PatchInputOptions
    @OptionGroup var answer: PatchAnswerOptions
    @Option(parsing: .unconditional, help: ArgumentHelp("Sender heads L.H, comma-separated (default: every head in turn, giving a layers × heads map).",
                               valueName: "L.H,…"))
    var senders: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Receivers: heads' inputs L.H.q, L.H.k, L.H.v (L.H means all three), comma-separated; or resid.",
                               valueName: "L.H[.q|k|v],…|resid"))
    var receivers: String
    @Option(help: "Write the picture here, for a map over every sender (.png, .svg, .pdf, or .html for an interactive page; default: output/path-MODEL.png).", completion: .file())
    var out: String?
    @Flag(help: "Print one JSON object on stdout.") var json = false

    func validate() throws {
        _ = try Self.receivers(receivers)
        if let senders { _ = try Self.senders(senders) }
    }

    static func senders(_ text: String) throws -> [PathPatching.Head] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { field in
            let parts = field.trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let l = Int(parts[0]), let h = Int(parts[1]), l >= 0, h >= 0 else {
                throw ValidationError("--senders wants heads as LAYER.HEAD (e.g. 9.6,9.9), got '\(field)'")
            }
            return PathPatching.Head(layer: l, head: h)
        }
    }

    static func receivers(_ text: String) throws -> [PathPatching.Receiver] {
        if text.trimmingCharacters(in: .whitespaces) == "resid" { return [.residual] }
        var out: [PathPatching.Receiver] = []
        for field in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = field.trimmingCharacters(in: .whitespaces)
            let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2 || parts.count == 3, let l = Int(parts[0]), let h = Int(parts[1]), l >= 0, h >= 0 else {
                if trimmed == "resid" {
                    throw ValidationError("--receivers: resid (the final residual) stands alone; give it by itself or list heads only")
                }
                throw ValidationError("--receivers wants LAYER.HEAD[.q|k|v] (e.g. 10.7.q) or resid, got '\(field)'")
            }
            let inputs: [PathPatching.Receiver.Input]
            if parts.count == 3 {
                guard let input = PathPatching.Receiver.Input(rawValue: String(parts[2])) else {
                    throw ValidationError("--receivers: '\(parts[2])' is not q, k or v in '\(field)'")
                }
                inputs = [input]
            } else {
                inputs = PathPatching.Receiver.Input.allCases
            }
            for input in inputs where !out.contains(.head(layer: l, head: h, input: input)) { out.append(.head(layer: l, head: h, input: input)) }
        }
        return out
    }

    /// Senders and receivers outside the model's layers or heads, named by option and entry.
    static func checkHeads(_ senders: [PathPatching.Head], _ receivers: [PathPatching.Receiver], _ arch: Architecture) throws {
        let heads = senders.map { ("--senders", $0.layer, $0.head) } + receivers.compactMap { receiver in
            if case .head(let l, let h, _) = receiver { ("--receivers", l, h) } else { nil }
        }
        for (option, l, h) in heads {
            try IndexOutOfRange.layer(l, option: option, layers: arch.layers, entry: "\(l).\(h)")
            try IndexOutOfRange.head(h, option: option, heads: arch.heads, entry: "\(l).\(h)")
        }
    }

    func run() throws {
        try PictureOutput.checkEarly(out)
        let memory = MemoryGate()
        let loaded = try modelOptions.load()
        let (clean, corrupted) = try inputs.prepare(loaded)
        try memory.check(loaded.model, tokens: clean.ids.count, profile: .storedActivations(perLayer: 8, stackedRows: SuffixOptions().rowBudget), force: memoryOptions.force)
        let (metric, position, texts) = try answer.resolve(loaded, clean: clean, corrupted: corrupted)
        var options = PatchingOptions(metric: metric)
        options.position = position
        options.tokenTypes = clean.types
        options.progress = Console.progress(label: "path")
        let senderHeads = try senders.map(Self.senders)
        let receiverList = try Self.receivers(receivers)
        try Self.checkHeads(senderHeads ?? [], receiverList, loaded.model.architecture)
        let result = try PathPatching.run(loaded.model, clean: clean.ids, corrupted: corrupted.ids, senders: senderHeads,
                                          receivers: receiverList, options: options)
        let patchResult = PatchingResult(method: .exact, direction: .noise, metric: metric, cleanMetric: result.cleanMetric,
                                         corruptedMetric: result.corruptedMetric, position: result.position,
                                         cleanIDs: clean.ids, corruptedIDs: corrupted.ids, firstDifference: 0,
                                         maps: result.map.map { [$0] } ?? [])
        var object = PatchJSON.object(patchResult, loaded: loaded, clean: clean, corrupted: corrupted, texts: texts)
        object["command"] = "path"
        object["method"] = "path-patching"
        object.removeValue(forKey: "firstDifference")
        object["senders"] = senderHeads.map { heads -> Any in heads.map { "\($0.layer).\($0.head)" } } ?? "all"
        object["receivers"] = receiverList.map { r -> String in
            if case .head(let l, let h, let input) = r { "\(l).\(h).\(input.rawValue)" } else { "resid" }
        }
        if let patched = result.patched, let effect = result.effect {
            object["patched"] = Double(patched)
            object["effect"] = Double(effect)
        }
        let output = OutputTransaction()
        var picture: URL?
        if result.map != nil {
            let url = try PictureOutput.url(out, defaultName: "path-\(PictureOutput.slug(loaded.spec))")
            let report = try output.write(figure: { try PatchFigures.figure(object) }, page: { try ResultPages.patching(object) }, to: url)
            for warning in report?.warnings ?? [] { Console.note("warning: \(warning)") }
            picture = url
        } else if out != nil {
            throw UsageMistake("with --senders the result is one number, not a picture; leave out --out, or leave out --senders for a layers × heads map")
        }
        if json {
            try output.commitJSON(object, picture: picture)
            return
        }
        if let patched = result.patched, let effect = result.effect {
            print(String(format: "path patching, %@: clean %.4f, corrupted %.4f, patched %.4f, normalised effect %.4f",
                         PatchJSON.metricName(metric, sigmoid: PatchJSON.readsSigmoid(metric, loaded)),
                         result.cleanMetric, result.corruptedMetric, patched, effect))
        } else {
            print(PatchJSON.summary(patchResult, texts: texts, title: "path patching from every head",
                                    sigmoid: PatchJSON.readsSigmoid(metric, loaded)))
        }
        try output.commit(naming: picture.map { [OutputTransaction.line(naming: $0)] } ?? [])
    }
}
