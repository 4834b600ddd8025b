import GlassboxTensor

/// Replaces the tensor at a hook point: gets the point and the activation, returns the new
/// activation, which must keep its shape.
public typealias Intervention = @Sendable (HookPoint, Tensor) -> Tensor

/// Per-call activation edits. Every rule whose filter matches a point is applied, in the order the
/// rules were added; the model itself is never modified.
public struct Interventions: Sendable {
    private var rules: [(filter: HookFilter, edit: Intervention)] = []

    /// No edits: the forward pass runs unchanged.
    public init() {}

    /// Replaces the tensor at one point.
    public init(_ point: HookPoint, _ edit: @escaping Intervention) {
        add(.points([point]), edit)
    }

    /// Adds a rule for every point `filter` contains (e.g. all `attn_scores`).
    public mutating func add(_ filter: HookFilter, _ edit: @escaping Intervention) {
        rules.append((filter, edit))
    }

    /// Adds a rule for one point.
    public mutating func add(_ point: HookPoint, _ edit: @escaping Intervention) {
        add(.points([point]), edit)
    }

    /// Whether no rule has been added.
    public var isEmpty: Bool { rules.isEmpty }

    /// The points listed by the rules added for given points (`init(_:_:)`, `add(_:_:)` with a
    /// point or a `points` filter); predicate rules list none.
    var listedPoints: Set<HookPoint> {
        rules.reduce(into: Set<HookPoint>()) { $0.formUnion($1.filter.listedPoints ?? []) }
    }

    /// True when some rule would edit `point`.
    public func touches(_ point: HookPoint) -> Bool {
        rules.contains { $0.filter.contains(point) }
    }

    /// Applies every matching rule to `tensor`; a rule that changes the shape, or returns storage
    /// of another length than the shape holds, is an error.
    func apply(at point: HookPoint, to tensor: Tensor) throws -> Tensor {
        var value = tensor
        for rule in rules where rule.filter.contains(point) {
            let edited = rule.edit(point, value)
            guard edited.shape == value.shape else {
                throw HookError.interventionChangedShape(point: point.name, from: value.shape, to: edited.shape)
            }
            guard edited.hasConsistentStorage else {
                throw HookError.interventionStorageCount(point: point.name, shape: edited.shape, count: edited.count)
            }
            value = edited
        }
        return value
    }
}
