import Foundation

/// Mistakes in naming or editing hook points.
public enum HookError: Error, LocalizedError, Equatable {
    case unknownName(String)
    case interventionChangedShape(point: String, from: [Int], to: [Int])

    public var errorDescription: String? {
        switch self {
        case .unknownName(let name):
            "unknown hook point '\(name)'; use full names such as 'blocks.0.attn.hook_pattern' (see `glassbox info`)"
        case .interventionChangedShape(let point, let from, let to):
            "an intervention at \(point) changed the shape from \(from) to \(to); it must return the same shape"
        }
    }
}
