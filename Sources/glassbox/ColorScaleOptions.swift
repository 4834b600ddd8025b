import ArgumentParser
import Glassbox

/// How the end of a score picture's colour scale is chosen (`--color-scale`).
enum ColorScaleOption: String, ExpressibleByArgument, CaseIterable {
    case robust, max
}

/// The colour-scale options (and `--top`) of the commands that draw signed scores (`explain`, `render`).
struct ColorScaleOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "How the colour scale's end is chosen: robust (the default: the largest |score| inside Tukey's far-out fence Q3 + 3·IQR; outliers are clipped and marked ▲) or max (the largest |score|, nothing clipped). The picture's legend states which.",
        valueName: "robust|max"))
    var colorScale: ColorScaleOption?
    @Option(parsing: .unconditional,
            help: ArgumentHelp("A fixed colour scale −X…X (X > 0); larger |scores| are clipped and marked ▲. Instead of --color-scale.", valueName: "X"))
    var colorLimit: TypedNumber<Double>?
    @Option(parsing: .unconditional,
            help: ArgumentHelp("Text explanations: draw only the K highest-scoring tokens, each with 6 tokens of context either side (the view for long inputs).", valueName: "K"))
    var top: Int?

    func validate() throws {
        if let top, top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
        if let colorLimit, !(colorLimit.value.isFinite && colorLimit.value > 0) {
            throw ValidationError("--color-limit must be a positive number, got \(colorLimit.text)")
        }
        if colorLimit != nil && colorScale != nil {
            throw ValidationError("give --color-scale or --color-limit, not both (--color-limit fixes the scale)")
        }
    }

    /// The option given, if any (for results without a colour scale).
    var given: String? { colorLimit != nil ? "--color-limit" : colorScale != nil ? "--color-scale" : top != nil ? "--top" : nil }

    /// The rule these options select.
    var scoreLimit: ScoreLimit {
        if let colorLimit { return .fixed(colorLimit.value) }
        switch colorScale ?? .robust { case .robust: return .robust; case .max: return .maxAbs }
    }
}

