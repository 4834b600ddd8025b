import ArgumentParser
import Glassbox

/// `--checkpoint`: whether the LRP sweep recomputes each layer from its input (methods §2.3).
enum CheckpointOption: String, ExpressibleByArgument, CaseIterable {
    /// When the stored activations would exceed `Checkpointing.storedBudget` (the default).
    case auto
    /// Always keep only the layer inputs.
    case on
    /// Always keep every activation.
    case off

    /// The library's setting.
    var checkpointing: Checkpointing {
        switch self {
        case .auto: .automatic
        case .on: .on
        case .off: .off
        }
    }
}
