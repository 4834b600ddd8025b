import ArgumentParser
import Foundation
import Glassbox

/// `glassbox patch`: activation patching (docs/methods.md §10) — how much of the clean behaviour
/// each site restores when patched into the corrupted run — as layers × positions and layers ×
/// heads maps; `--method atp|atp*` estimates the same maps by attribution patching.
struct PatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patch",
        abstract: "Activation patching: the effect of each site (layer × position, layer × head) on a prediction.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var memoryOptions: MemoryOptions
    @OptionGroup var inputs: PatchInputOptions
    @OptionGroup var answer: PatchAnswerOptions
    @Option(help: ArgumentHelp("Site kinds, comma-separated: resid, attn, mlp, heads, heads-pos, qkv (q, k, v and pattern per head).",
                               valueName: "resid,attn,mlp,heads"))
    var sites = "resid,attn,mlp,heads"
    @Option(name: .customLong("hook"), help: ArgumentHelp("Also patch this hook point by name, one value per position (repeatable).", valueName: "NAME"))
    var hooks: [String] = []
    @Option(help: "exact (one patched run per site), atp (attribution patching) or atp* (AtP with its two corrections).")
    var method: PatchMethodOption = .exact
    @Flag(help: "Noising: patch corrupted activations into the clean run (default: denoising, clean into corrupted).")
    var noising = false
    @Option(help: "Write the picture here (.png, .svg, .pdf, or .html for an interactive page; default: output/patch-MODEL.png).", completion: .file()) var out: String?
    @Flag(help: "Print one JSON object on stdout.") var json = false

    func validate() throws {
        _ = try PatchSitesOption.parse(sites)
        if method != .exact && !hooks.isEmpty {
            throw ValidationError("--hook patches named hooks exactly; leave it out with --method \(method.rawValue)")
        }
        // Before the model loads (and on every batch line): a hook with one row for the whole run
        // (unembed.*, pooler.hook_out, mlm_head.*) has no positions to patch. Unknown names: `patch`.
        do { try PatchableHook.check(hooks.compactMap(HookPoint.init(name:))) } catch {
            throw ValidationError("--hook " + ((error as? LocalizedError)?.errorDescription ?? "\(error)"))
        }
    }

    func run() throws {
        try PictureOutput.checkEarly(out)
        let memory = MemoryGate()
        let loaded = try modelOptions.load()
        let patching = try patch(loaded, memory: memory)
        let object = patching.object
        let url = try PictureOutput.url(out, defaultName: "patch-\(PictureOutput.slug(loaded.spec))")
        let output = OutputTransaction()
        let report = try output.write(figure: { try PatchFigures.figure(object) }, page: { try ResultPages.patching(object) }, to: url)
        for warning in report?.warnings ?? [] { Console.note("warning: \(warning)") }
        if json {
            try output.commitJSON(object, picture: url)
            return
        }
        print(PatchJSON.summary(patching.result, texts: patching.texts,
                                sigmoid: PatchJSON.readsSigmoid(patching.result.metric, loaded)))
        try output.commit(naming: [OutputTransaction.line(naming: url)])
    }

    /// The patching run of this command's inputs on `loaded`: the `--json` object (also what
    /// `glassbox batch` writes per input), the result and the answer texts.
    func patch(_ loaded: LoadedModel, memory: MemoryGate?) throws -> (object: [String: Any], result: PatchingResult, texts: [Int: String]) {
        let (clean, corrupted) = try inputs.prepare(loaded)
        try memory?.check(loaded.model, tokens: clean.ids.count, profile: .storedActivations(perLayer: 8, stackedRows: SuffixOptions().rowBudget), force: memoryOptions.force)
        let (metric, position, texts) = try answer.resolve(loaded, clean: clean, corrupted: corrupted)
        var options = PatchingOptions(metric: metric)
        options.direction = noising ? .noise : .denoise
        options.sites = try PatchSitesOption.parse(sites)
        options.hooks = try hooks.map { name in
            guard let point = HookPoint(name: name) else { throw UsageMistake(HookError.unknownName(name).errorDescription!) }
            return point
        }
        options.position = position
        options.tokenTypes = clean.types
        options.progress = Console.progress(label: "patch")
        let result: PatchingResult
        switch method {
        case .exact:
            result = try ActivationPatching.run(loaded.model, clean: clean.ids, corrupted: corrupted.ids, options: options)
        case .atp, .atpStar:
            var atp = AttributionPatching.Options()
            atp.star = method == .atpStar
            atp.compareWithExact = true
            result = try AttributionPatching.run(loaded.model, clean: clean.ids, corrupted: corrupted.ids, options: options,
                                                 attribution: atp)
        }
        let object = PatchJSON.object(result, loaded: loaded, clean: clean, corrupted: corrupted, texts: texts)
        return (object, result, texts)
    }
}

/// `--method`.
enum PatchMethodOption: String, ExpressibleByArgument, CaseIterable {
    case exact, atp
    case atpStar = "atp*"
}

/// `--sites`: short names of site groups.
enum PatchSitesOption {
    static let names: [String: [PatchingSiteKind]] = [
        "resid": [.residPre], "attn": [.attnOut], "mlp": [.mlpOut], "heads": [.z], "heads-pos": [.zByPosition],
        "qkv": [.q, .k, .v, .pattern],
    ]

    static func parse(_ text: String) throws -> [PatchingSiteKind] {
        var kinds: [PatchingSiteKind] = []
        for field in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let group = names[field] else {
                throw ValidationError("unknown site '\(field)' in --sites; use resid, attn, mlp, heads, heads-pos, qkv (comma-separated)")
            }
            for kind in group where !kinds.contains(kind) { kinds.append(kind) }
        }
        return kinds
    }
}
