import Foundation
import GlassboxRender

/// Every picture kind, with the file name it gets and its PNG scale (pixels per point).
enum Gallery {
    static let prompt = ["The", " Eiffel", " Tower", " is", " located", " in", " the", " city", " of"]

    static func figures() throws -> [(String, any Figure, Double)] {
        [
            ("token-strip.png", tokenStrip(), 2),
            ("token-strip-scripts.png", scriptsStrip(), 2),
            ("attention-matrix.png", try attentionMatrix(), 2),
            ("head-grid.png", try headGrid(), 1.5),
            ("head-grid-32x32.png", try bigHeadGrid(), 1),
            ("attention-lines.png", try attentionLines(), 2),
            ("lens-table.png", lensTable(), 2),
            ("image-overlay.png", try imageOverlay(), 2),
            ("bar-chart.png", barChart(), 2),
            ("line-chart.png", lineChart(), 2),
        ]
    }

    /// Relevance of each prompt token for the next token " Paris" (the target, appended).
    static func tokenStrip() -> TokenStrip {
        let relevance = [0.04, 0.61, 0.38, -0.06, 0.12, -0.09, 0.02, 0.47, 0.21]
        return TokenStrip(tokens: prompt + [" Paris"], scores: relevance + [.nan], target: prompt.count,
                          title: "Which tokens made the model say “Paris”? (synthetic data)", scoreLabel: "relevance")
    }

    /// Byte-level tokens of mixed scripts, decoded for display: accents, CJK, emoji, a newline.
    static func scriptsStrip() -> TokenStrip {
        let pieces = ["Über", " café", " in", " 東", "京", " 🗼", "\n", "Paris", " →", " パリ", " ✓"]
        let raw = pieces.map(Synthetic.byteLevel)          // "ĠcafÃ©", "ĠæĿ±", "Ċ", …
        let scores = [0.3, 0.55, -0.1, 0.8, 0.65, 0.2, 0, -0.35, 0.05, 0.9, -0.5]
        return TokenStrip(tokens: TokenText.display(raw, markers: .byteLevel), scores: scores, target: 9,
                          title: "Any script: byte-level tokens (Ġ, Ċ, UTF-8 bytes) shown as the text they spell (synthetic data)",
                          scoreLabel: "score", lineWidth: 420)
    }

    /// A previous-token head with a sink on the first token, causal.
    static func attentionMatrix() throws -> AttentionMatrix {
        let tokens = ["<|endoftext|>"] + prompt + [" Paris", ",", " France", " —", " a_very_long_token_that_gets_shortened"]
        var rng = Seeded(3)
        let weights = try Synthetic.head(.previousToken, n: tokens.count, sharpness: 1, rng: &rng)
        return AttentionMatrix(weights: weights, tokens: tokens, title: "Layer 4, head 11: attends to the previous token (synthetic data)", causal: true)
    }

    static func headGrid() throws -> HeadGrid {
        HeadGrid(attention: try Synthetic.model(layers: 12, heads: 12, n: 24, noise: 0), title: "All 144 heads (12 layers × 12 heads), 24 tokens (synthetic data)",
                 causal: true)
    }

    static func bigHeadGrid() throws -> HeadGrid {
        HeadGrid(attention: try Synthetic.model(layers: 32, heads: 32, n: 128, seed: 11, noise: 0),
                 title: "32 layers × 32 heads, 128 tokens max-pooled into each tile (synthetic data)", causal: true)
    }

    /// Three heads of one layer: previous-token, sink and induction-like.
    static func attentionLines() throws -> AttentionLines {
        let tokens = ["<|endoftext|>"] + prompt
        var rng = Seeded(5)
        let heads = try [Synthetic.Pattern.previousToken, .sink, .selfToken, .local].map {
            try Synthetic.head($0, n: tokens.count, sharpness: 1, rng: &rng)
        }
        return AttentionLines(tokens: tokens, attention: heads, heads: [0, 1, 3],
                              title: "Layer 4, heads 0, 1 and 3 (BertViz head view) (synthetic data)")
    }

    /// Logit lens: early layers echo the input, later ones converge on the continuation.
    static func lensTable() -> LensTable {
        let rows: [[String]] = [
            ["The", " Eiff", " Tower", " is", " located", " in", " the", " city", " of"],
            [" same", "el", " Tower", " is", " located", " in", " the", " city", " of"],
            [" first", "el", " Tower", " is", " near", " on", " same", " of", " the"],
            [" first", " Tower", " in", " a", " in", " the", " heart", " of", " the"],
            [" first", " Tower", " is", " the", " in", " Paris", " heart", " of", " Paris"],
            [" first", " Tower", " is", " a", " in", " the", " heart", " of", " Paris"],
        ]
        let probability: [[Double]] = [
            [0.02, 0.04, 0.03, 0.05, 0.04, 0.06, 0.05, 0.04, 0.03],
            [0.04, 0.12, 0.09, 0.10, 0.08, 0.09, 0.07, 0.11, 0.08],
            [0.08, 0.31, 0.22, 0.18, 0.14, 0.17, 0.12, 0.26, 0.15],
            [0.15, 0.58, 0.35, 0.27, 0.41, 0.33, 0.21, 0.55, 0.24],
            [0.22, 0.86, 0.52, 0.38, 0.63, 0.28, 0.35, 0.79, 0.58],
            [0.31, 0.97, 0.61, 0.44, 0.77, 0.52, 0.48, 0.93, 0.91],
        ]
        let cells = rows.enumerated().map { l, row in
            row.enumerated().map { p, text in
                LensTable.Cell(text: text, probability: probability[l][p], isMarked: text == " Paris")
            }
        }
        return LensTable(cells: cells, positionLabels: prompt, layerLabels: ["embed", "2", "4", "6", "8", "12"],
                         title: "Logit lens: the top next token at each layer (bold: “Paris”) (synthetic data)")
    }

    /// A ViT-style 14×14 relevance map: positive on the house, negative on the sun.
    static func imageOverlay() throws -> ImageOverlay {
        let patches: [[Float]] = (0..<14).map { r in
            (0..<14).map { c in
                let house = exp(-(pow(Double(c) - 6.0, 2) / 7 + pow(Double(r) - 8.6, 2) / 5))
                let door = 0.5 * exp(-(pow(Double(c) - 5.9, 2) + pow(Double(r) - 9.8, 2)) / 1.2)
                let sun = -0.55 * exp(-(pow(Double(c) - 10.6, 2) + pow(Double(r) - 3.1, 2)) / 2.5)
                return Float(house + door + sun)
            }
        }
        return ImageOverlay(image: try Synthetic.houseImage(size: 224), scores: try ScoreMatrix(patches),
                            title: "Relevance for the class “house” (14×14 ViT patches) (synthetic data)", opacity: 0.75,
                            opacityFollowsScore: true, scoreLabel: "relevance")
    }

    static func barChart() -> BarChart {
        let effects = [0.12, -0.05, 0.91, 0.08, -0.42, 0.03, 0.27, -0.11, 0.02, 1.38, -0.19, 0.06]
        return BarChart(values: effects, labels: (0..<12).map { "H\($0)" },
                        title: "Zero-ablating each head of layer 9: change in the “Paris” logit (synthetic data)",
                        valueLabel: "Δ logit", categoryLabel: "head")
    }

    static func lineChart() -> LineChart {
        let fractions = (0...10).map { Double($0) / 10 }
        func curve(_ rate: Double, floor: Double) -> [Double] { fractions.map { floor + (0.82 - floor) * exp(-rate * $0) } }
        return LineChart(series: [
            .init(name: "AttnLRP", values: curve(7, floor: 0.01), x: fractions),
            .init(name: "attention rollout", values: curve(3, floor: 0.05), x: fractions),
            .init(name: "raw attention (last layer)", values: curve(1.8, floor: 0.08), x: fractions),
            .init(name: "random order", values: fractions.map { 0.82 - 0.7 * $0 }, x: fractions, dashed: true),
        ], title: "Deleting the most relevant tokens first (synthetic data)", xLabel: "fraction of prompt tokens removed",
        yLabel: "p(“Paris”)", yRange: 0...1)
    }
}
