import GlassboxTensor

/// Which hook points a forward pass should keep in its `ActivationCache`.
public struct HookFilter: Sendable {
    private enum Storage: Sendable {
        case none
        case all
        case points(Set<HookPoint>)
        case predicate(@Sendable (HookPoint) -> Bool)
    }

    private let storage: Storage

    /// Capture nothing (the default: a plain forward pass).
    public static let none = HookFilter(storage: .none)
    /// Capture every point the model fires, `attn.hook_result` included.
    public static let all = HookFilter(storage: .all)

    /// Capture exactly these points.
    public static func points(_ points: some Sequence<HookPoint>) -> HookFilter {
        HookFilter(storage: .points(Set(points)))
    }

    /// Capture the points for which `predicate` is true.
    public static func matching(_ predicate: @escaping @Sendable (HookPoint) -> Bool) -> HookFilter {
        HookFilter(storage: .predicate(predicate))
    }

    /// Parses full hook names; an unknown name throws `HookError.unknownName`.
    public static func names(_ names: [String]) throws -> HookFilter {
        .points(try names.map { name in
            guard let point = HookPoint(name: name) else { throw HookError.unknownName(name) }
            return point
        })
    }

    /// The points a `points(_:)` filter lists; nil for `none`, `all` and predicates, which name
    /// no point and so cannot name one the model lacks.
    var listedPoints: Set<HookPoint>? {
        if case .points(let set) = storage { set } else { nil }
    }

    /// Whether a forward pass with this filter keeps `point`.
    public func contains(_ point: HookPoint) -> Bool {
        switch storage {
        case .none: false
        case .all: true
        case .points(let set): set.contains(point)
        case .predicate(let p): p(point)
        }
    }
}
