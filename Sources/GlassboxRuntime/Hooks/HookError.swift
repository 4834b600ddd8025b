import Foundation

/// Mistakes in naming or editing hook points.
public enum HookError: Error, LocalizedError, Equatable {
    /// A hook name that is not a full name of any point.
    case unknownName(String)
    /// An intervention at `point` returned a tensor of shape `to` instead of `from`.
    case interventionChangedShape(point: String, from: [Int], to: [Int])
    /// An intervention at `point` returned a tensor of shape `shape` whose storage holds `count`
    /// values instead of the shape's product.
    case interventionStorageCount(point: String, shape: [Int], count: Int)
    /// An edit of `mlp.hook_expert_indices` named `value`, which is not one of the `experts` experts.
    case invalidExpertIndex(point: String, value: Float, experts: Int)
    /// A capture or an intervention named a point (full name given) this model does not fire: a
    /// layer or expert past the last, or a site of another architecture (e.g. `hook_rot_q` in GPT-2).
    case noSuchPoint(String)

    /// One readable line with an example of a valid name, or the two shapes.
    public var errorDescription: String? {
        switch self {
        case .unknownName(let name):
            "unknown hook point '\(name)'; use full names such as 'blocks.0.attn.hook_pattern' (see `glassbox info`)"
        case .interventionChangedShape(let point, let from, let to):
            "an intervention at \(point) changed the shape from \(from) to \(to); it must return the same shape"
        case .interventionStorageCount(let point, let shape, let count):
            "an intervention at \(point) returned \(count) values for shape \(shape), which holds \(shape.reduce(1, *)); "
                + "edit `storage` in place without changing its length"
        case .noSuchPoint(let name):
            "this model has no hook point \(name) (see `glassbox info`)"
        case .invalidExpertIndex(let point, let value, let experts):
            "an intervention at \(point) chose expert \(value); expert indices must be whole numbers in 0..<\(experts)"
        }
    }
}
