import ArgumentParser
import Foundation
import Glassbox

/// What `glassbox project` reads in embedding space.
enum ProjectWhat: String, ExpressibleByArgument, CaseIterable {
    case ffnKey = "ffn-key", ffnValue = "ffn-value", ov, qk
}

/// Token filters for projections.
enum FilterOption: String, ExpressibleByArgument, CaseIterable { case all, ascii, alnum }

/// `glassbox project`: parameters read in embedding space (Dar et al., ACL 2023): FFN keys and
/// values as tokens, per-head W_VO and W_QK as top token pairs (computed blockwise).
struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project", abstract: "Read parameters in embedding space: FFN keys/values, head OV/QK token pairs.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(parsing: .unconditional, help: "The layer.") var layer: Int
    @Option(parsing: .unconditional, help: "The head (OV and QK).") var head: Int?
    @Option(help: "ffn-key, ffn-value, ov or qk (default: ov with --head, else ffn-value).") var what: ProjectWhat?
    @Option(parsing: .unconditional, help: "The FFN neuron (ffn-key, ffn-value); in a mixture of experts, expert e's neuron i is e·d_ff + i.") var neuron: Int?
    @Option(parsing: .unconditional, help: "Entries listed.") var topK = 20
    @Option(help: "Keep only these tokens: all, ascii, alnum.") var filter: FilterOption = .all
    @Option(help: "Write the picture here (default: output/project-WHAT-MODEL.png).", completion: .file()) var out: String?
    @Flag(help: "Print one JSON object on stdout.") var json = false

    /// The most token pairs `--top-k` lists for ov and qk: its heap would otherwise grow towards the
    /// whole `V × V` table (2.5 billion pairs for GPT-2's vocabulary); 5,000,000 on a 2,048-token
    /// vocabulary ran past a minute at 2.4 GB.
    static let maxPairs = 10_000

    /// What is projected: `--what`, or ov with `--head`, else ffn-value.
    var chosenWhat: ProjectWhat { what ?? (head != nil ? .ov : .ffnValue) }

    func validate() throws {
        if topK < 1 { throw ValidationError("--top-k must be at least 1, got \(topK)") }
        switch chosenWhat {
        case .ffnKey, .ffnValue:
            if head != nil { throw ValidationError("--head applies to ov and qk, not \(chosenWhat.rawValue); leave it out or give --what ov|qk") }
            if neuron == nil { throw ValidationError("\(chosenWhat.rawValue) reads one FFN neuron: give --neuron N (or --head H for a head's OV pairs)") }
        case .ov, .qk:
            if neuron != nil { throw ValidationError("--neuron applies to ffn-key and ffn-value, not \(chosenWhat.rawValue); leave it out or give --what ffn-key|ffn-value") }
            if head == nil { throw ValidationError("\(chosenWhat.rawValue) reads one attention head: give --head H") }
            if topK > Self.maxPairs {
                throw ValidationError("--top-k lists at most \(Self.maxPairs) token pairs for \(chosenWhat.rawValue), got \(topK)")
            }
        }
    }

    func run() throws {
        try PictureOutput.checkEarly(out)
        let loaded = try modelOptions.load()
        let model = loaded.model
        try IndexOutOfRange.layer(layer, layers: model.architecture.layers)
        try IndexOutOfRange.head(head, heads: model.architecture.heads)
        let what = chosenWhat
        let texts: [String]? = model.architecture.vocabSize > 0 ? (0..<model.architecture.vocabSize).map(loaded.text) : nil
        let tokenFilter: TokenFilter = switch (filter, texts) {
        case (.ascii, let t?): .ascii(texts: t)
        case (.alnum, let t?): .alphanumeric(texts: t)
        default: .all
        }
        let name = PictureOutput.slug(loaded.spec)
        let url = try PictureOutput.url(out, defaultName: "project-\(what.rawValue)-\(name)")
        // The table: one section per projected vector (a gated MLP's ffn-key has two, gate and up,
        // each under its name), or one unnamed section.
        var sections: [(name: String?, labels: [String], values: [Double])] = [], title = "", subject = ""
        var object: [String: Any] = ["glassbox": GlassboxVersion.string, "command": "project", "model": loaded.jsonDescription,
                                     "layer": layer, "what": what.rawValue, "filter": tokenFilter.label]
        switch what {
        case .ffnKey, .ffnValue:
            let neuron = neuron ?? 0
            let projections = what == .ffnKey
                ? try ParameterProjection.ffnKeys(model, layer: layer, neuron: neuron, k: topK, filter: tokenFilter, texts: texts)
                : [try ParameterProjection.ffnValue(model, layer: layer, neuron: neuron, k: topK, filter: tokenFilter, texts: texts)]
            sections = projections.map { p in
                (projections.count > 1 ? ResultFigures.projectionName(p.kind) : nil,
                 p.top.map { TokenText.label($0.text ?? "<\($0.id)>") }, p.top.map { Double($0.score) })
            }
            let place = FFNMemories.locate(model, layer: layer, neuron: neuron)
            title = "Layer \(layer), \(place.label): \(ResultFigures.projectionSubject(projections.map(\.kind))) in embedding space · \(name)"
            subject = "layer \(layer) \(place.label)'s \(what.rawValue) token scores"
            object["neuron"] = neuron
            object.merge(place.jsonFields) { $1 }
            object["projections"] = projections.map { p in
                ["kind": p.kind, "norm": Double(p.norm),
                 "top": p.top.map { ["id": $0.id, "text": $0.text ?? "", "score": Double($0.score)] as [String: Any] },
                 "bottom": p.bottom.map { ["id": $0.id, "text": $0.text ?? "", "score": Double($0.score)] as [String: Any] }]
                    as [String: Any]
            }
        case .ov, .qk:
            let head = head ?? 0
            let result = try HeadProjection.pairs(model, layer: layer, head: head, matrix: what == .ov ? .ov : .qk, k: topK,
                                                  filter: tokenFilter, texts: texts)
            sections = [(nil, result.pairs.map { TokenText.label($0.fromText ?? "<\($0.from)>") + " → " + TokenText.label($0.toText ?? "<\($0.to)>") },
                         result.pairs.map { Double($0.score) })]
            title = "Layer \(layer), head \(head): top \(what.rawValue.uppercased()) token pairs · \(name)"
            subject = "layer \(layer) head \(head)'s \(what.rawValue.uppercased()) token-pair scores"
            object["head"] = head
            object["pairs"] = result.pairs.map {
                ["from": $0.from, "fromText": $0.fromText ?? "", "to": $0.to, "toText": $0.toText ?? "", "score": Double($0.score)]
                    as [String: Any]
            }
        }
        // inf or NaN products (weights near Float32's limit) are refused by the text and the
        // picture as by the JSON, unless --allow-nonfinite.
        try JSONOutput.checkFinite(object, what: subject, json: json, allowNonfinite: modelOptions.allowNonfinite)
        let output = OutputTransaction()
        try output.render(try ResultFigures.project(object), to: url)
        if json {
            try output.commitJSON(object, picture: url)
            return
        }
        print(title)
        for section in sections {
            if let name = section.name { print(name + ":") }
            for (label, value) in zip(section.labels, section.values) { print(String(format: "%10.4f  ", value) + label) }
        }
        try output.commit(naming: ["picture: \(url.path)"])
    }
}
