import ArgumentParser
import Foundation
import Glassbox

/// The pictures `glassbox attention` draws.
enum AttentionView: String, ExpressibleByArgument, CaseIterable { case matrix, grid, lines }

/// `glassbox attention`: attention patterns as one head's matrix, the layers × heads grid (a static
/// BertViz model view) or BertViz's head view as lines.
struct AttentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Draw attention: one head as a matrix, the layers × heads grid, or lines between tokens.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var input: InputOptions

    @Option(parsing: .unconditional, help: "The layer (default: the last for matrix and lines; all for the grid).") var layer: Int?
    @Option(parsing: .unconditionalSingleValue, help: "A head; repeat for several (default: all; the matrix view then shows their mean).")
    var head: [Int] = []
    @Option(help: "matrix, grid or lines (default: matrix when --layer and --head are given, else grid).")
    var view: AttentionView?
    @Option(parsing: .unconditional, help: "Lines view: only the lines of this query position.") var query: Int?
    @Option(parsing: .unconditional, help: "Grid view: tiles show at most this many positions per side (max-pooled; default 64).")
    var tile: Int?

    @Option(help: "Write the picture here (.png, .svg, .pdf, or .html for an interactive page; default: output/attention-VIEW-MODEL.png).", completion: .file())
    var out: String?
    @Flag(help: "Print the attention weights as one JSON object on stdout.") var json = false
    @OptionGroup var memoryOptions: MemoryOptions

    /// The view drawn: `--view`, or matrix when `--layer` and `--head` are given, else grid.
    var chosenView: AttentionView { view ?? (layer != nil && !head.isEmpty ? .matrix : .grid) }

    func validate() throws {
        if let tile, tile < 1 { throw ValidationError("--tile must be at least 1, got \(tile)") }
        if let layer, layer < 0 { throw ValidationError("--layer must not be negative, got \(layer)") }
        if let bad = head.first(where: { $0 < 0 }) { throw ValidationError("--head must not be negative, got \(bad)") }
        if query != nil && chosenView != .lines {
            throw ValidationError("--query applies to --view lines, not the \(chosenView.rawValue) view")
        }
        if tile != nil && chosenView != .grid {
            throw ValidationError("--tile applies to --view grid, not the \(chosenView.rawValue) view")
        }
    }

    func run() throws {
        try PictureOutput.checkEarly(out)
        let memory = MemoryGate()
        let loaded = try modelOptions.load(image: input.image != nil)
        let arch = loaded.model.architecture
        try IndexOutOfRange.layer(layer, layers: arch.layers)
        for h in head { try IndexOutOfRange.head(h, heads: arch.heads) }
        let prepared = try PreparedInput.prepare(loaded, input: input)
        let view = chosenView
        let heads = head.isEmpty ? nil : head
        // A page (--out FILE.html) holds every layer (or --layer's) with its views; a picture one view.
        let page = out.map { OutputTransaction.isPage(URL(fileURLWithPath: $0)) } ?? false
        // Before the forward pass: a --query outside the input, or a lines picture longer than it
        // can be drawn, is refused now.
        if view == .lines, let query, query < 0 || query >= prepared.count {
            throw CLIError.positionOutOfRange(query, length: prepared.count, option: "--query")
        }
        // The picture's format sets the limit (PNG pixels, or Cairo's coordinates in an SVG or PDF).
        let format = out.flatMap { try? OutputFormat(path: $0) } ?? .png
        if view == .lines, !page, prepared.count > AttentionLines.maximumTokens(for: format) {
            throw CLIError.tooManyTokensForLines(prepared.count, format: format)
        }
        let layers: [Int]? = view == .grid || page ? layer.map { [$0] } : [layer ?? arch.layers - 1]
        let causal = arch.mask == .causal
        let labels = prepared.texts.map { TokenText.label($0) }

        // JSON carries the full weights; the grid picture pools long inputs while streaming. A page's
        // neuron view takes q and k of one layer from the same forward pass.
        let neuronLayer = layer ?? arch.layers - 1
        // Kept patterns: every chosen layer's for the JSON, a page or one head's matrix, and as much
        // again for the picture or page drawn from them; the grid picture alone pools them as they
        // stream (one layer's scores at a time).
        let pooled = !(json || page || view != .grid)
        try memory.check(loaded.model, prepared, profile: .attentionPatterns(layers: pooled ? 0 : 2 * (layers?.count ?? arch.layers)),
                         force: memoryOptions.force)
        let (maps, cache) = try AttentionMaps.collect(loaded.model, prepared.modelInput, layers: layers, heads: heads,
                                                      maxSize: json || page || view != .grid ? nil : tile ?? 64,
                                                      capturing: page ? AttentionPage.neuronPoints(layer: neuronLayer, architecture: arch) : [])
        let name = PictureOutput.slug(loaded.spec)
        let url = try PictureOutput.url(out, defaultName: "attention-\(view.rawValue)-\(name)")
        let panels = maps.map { ResultFigures.AttentionPanel(layer: $0.layer, heads: $0.heads, patterns: $0.patterns) }
        let output = OutputTransaction()
        let report = try output.write(
            figure: { try ResultFigures.attention(view: view.rawValue, panels: panels, labels: labels, name: name, causal: causal, query: query) },
            page: { try AttentionPage.page(panels: panels, labels: labels, causal: causal, neuronLayer: neuronLayer, architecture: arch, cache: cache, model: name) },
            to: url)
        for warning in report?.warnings ?? [] { Console.note("warning: \(warning)") }
        if json {
            var object: [String: Any] = [
                "glassbox": GlassboxVersion.string, "command": "attention", "model": loaded.jsonDescription,
                "layers": maps.map(\.layer), "heads": maps.first?.heads ?? [], "view": view.rawValue, "causal": causal,
                "tokens": prepared.jsonTokens,
            ]
            if let query { object["query"] = query }
            try output.commitJSON(picture: url) { try AttentionJSON.print(object, layers: maps) }
        } else {
            try output.commit(naming: [OutputTransaction.line(naming: url)])
        }
    }
}
