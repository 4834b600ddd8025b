import ArgumentParser
import Glassbox

/// `--precision`: how weight products are computed (docs/methods.md §0.7).
enum PrecisionOption: String, ExpressibleByArgument, CaseIterable {
    /// Weights converted exactly to Float32, sgemm (the default).
    case exact
    /// bf16 operands, Float32 sums (AVX512-BF16 where the CPU has it).
    case bf16

    /// The library's precision.
    var value: ProductPrecision { self == .bf16 ? .bf16 : .exact }

    /// The option's help text.
    static let help: ArgumentHelp = "Weight products: exact (Float32, the default) or bf16 (weights and activations rounded to bfloat16, Float32 sums; faster on CPUs with AVX512-BF16)."
}
