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

    @Option(help: "The layer (default: the last for matrix and lines; all for the grid).") var layer: Int?
    @Option(help: "A head; repeat for several (default: all; the matrix view then shows their mean).") var head: [Int] = []
    @Option(help: "matrix, grid or lines (default: matrix when --layer and --head are given, else grid).")
    var view: AttentionView?
    @Option(help: "Lines view: only the lines of this query position.") var query: Int?
    @Option(help: "Grid view: tiles show at most this many positions per side (max-pooled).") var tile = 64

    @Option(help: "Write the picture here (.png, .svg or .pdf; default: output/attention-VIEW-MODEL.png).")
    var out: String?
    @Flag(help: "Print the attention weights as one JSON object on stdout.") var json = false

    func validate() throws {
        if tile < 1 { throw ValidationError("--tile must be at least 1") }
    }

    func run() throws {
        let loaded = try modelOptions.load(image: input.image != nil)
        let arch = loaded.model.architecture
        let prepared = try PreparedInput.prepare(loaded, input: input)
        let view = self.view ?? (layer != nil && !head.isEmpty ? .matrix : .grid)
        let heads = head.isEmpty ? nil : head
        let layers: [Int]? = view == .grid ? layer.map { [$0] } : [layer ?? arch.layers - 1]
        let causal = arch.mask == .causal
        let labels = prepared.texts.map { TokenText.label($0) }

        // JSON carries the full weights; the grid picture pools long inputs while streaming.
        let maps = try AttentionMaps.collect(loaded.model, prepared.modelInput, layers: layers, heads: heads,
                                             maxSize: json || view != .grid ? nil : tile)
        let name = PictureOutput.slug(loaded.spec)
        let url = try PictureOutput.url(out, defaultName: "attention-\(view.rawValue)-\(name)")
        let figure: any Figure
        switch view {
        case .matrix:
            let map = maps[0]
            let fused = HeadFusion.mean.fuse(map.patterns)
            let which = map.heads.count == 1 ? "head \(map.heads[0])" : "mean of \(map.heads.count) heads"
            figure = AttentionMatrix(weights: try scoreMatrix(fused), tokens: labels,
                                     title: "Layer \(map.layer), \(which) · \(name)", causal: causal)
        case .grid:
            let tiles = try maps.map { map in try (0..<map.heads.count).map { try scoreMatrix(map.patterns.row($0)) } }
            figure = HeadGrid(attention: tiles, layerLabels: maps.map { "L\($0.layer)" },
                              headLabels: maps[0].heads.map { "H\($0)" },
                              title: "Attention of \(maps.count) layers × \(maps[0].heads.count) heads, \(prepared.count) positions · \(name)",
                              causal: causal)
        case .lines:
            let map = maps[0]
            if let query, query < 0 || query >= prepared.count {
                throw CLIError.positionOutOfRange(query, length: prepared.count)
            }
            figure = AttentionLines(tokens: labels, attention: try (0..<map.heads.count).map { try scoreMatrix(map.patterns.row($0)) },
                                    headLabels: map.heads.map { "head \($0)" }, query: query,
                                    title: "Layer \(map.layer) · \(name)")
        }
        let report = try figure.render(to: url, scale: 2)
        for warning in report.warnings { Console.note("warning: \(warning)") }
        if json {
            try Console.json([
                "glassbox": GlassboxVersion.string, "command": "attention", "model": loaded.jsonDescription,
                "layers": maps.map(\.layer), "heads": maps.first?.heads ?? [],
                "tokens": prepared.jsonTokens,
                "attention": maps.map { map in
                    (0..<map.heads.count).map { h in
                        let m = map.patterns.row(h)
                        return (0..<m.shape[0]).map { i in m.row(i).storage.map(Double.init) }
                    }
                },
            ])
            Console.note("picture: \(url.path)")
        } else {
            print("picture: \(url.path)")
        }
    }

    private func scoreMatrix(_ t: Tensor) throws -> ScoreMatrix {
        try ScoreMatrix(rows: t.shape[0], columns: t.shape[1], values: t.storage)
    }
}
