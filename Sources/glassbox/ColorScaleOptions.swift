import ArgumentParser
import Glassbox

/// How the end of a score picture's colour scale is chosen (`--color-scale`).
enum ColorScaleOption: String, ExpressibleByArgument, CaseIterable {
    case robust, max
}

/// The colour-scale options of the commands that draw signed scores (`explain`, `render`).
struct ColorScaleOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "How the colour scale's end is chosen: robust (the largest |score| inside Tukey's far-out fence Q3 + 3·IQR; outliers are clipped and marked ▲) or max (the largest |score|, nothing clipped). The picture's legend states which.",
        valueName: "robust|max"))
    var colorScale: ColorScaleOption = .robust
    @Option(help: ArgumentHelp("A fixed colour scale −X…X (X > 0); larger |scores| are clipped and marked ▲. Overrides --color-scale.", valueName: "X"))
    var colorLimit: Double?

    func validate() throws {
        if let colorLimit, !(colorLimit.isFinite && colorLimit > 0) {
            throw ValidationError("--color-limit must be a positive number, got \(colorLimit)")
        }
    }

    /// The rule these options select.
    var scoreLimit: ScoreLimit {
        if let colorLimit { return .fixed(colorLimit) }
        switch colorScale { case .robust: return .robust; case .max: return .maxAbs }
    }
}
