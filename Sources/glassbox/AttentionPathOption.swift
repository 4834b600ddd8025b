import ArgumentParser
import Glassbox

/// `--attention`: how the forward pass computes attention (methods §0.4).
enum AttentionPathOption: String, ExpressibleByArgument, CaseIterable {
    /// Blocked wherever no hook needs the pattern (the default).
    case auto
    /// Always blocked, in tiles of 64 (an error with `--trace`, which prints the pattern).
    case blocked
    /// Always the full `[H, n, n]` scores and pattern.
    case unblocked

    /// The library's path.
    var path: AttentionPath {
        switch self {
        case .auto: .automatic
        case .blocked: .blocked
        case .unblocked: .unblocked
        }
    }
}
