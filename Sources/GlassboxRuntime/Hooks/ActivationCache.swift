import GlassboxTensor

/// The activations a forward pass kept: tensors by hook point, in the order they fired, plus the
/// input ids. A plain value: it holds no model and offers no analysis.
public struct ActivationCache: Sendable {
    /// Token ids of the input `[n]`.
    public let inputIDs: [Int]
    /// Captured points in forward order.
    public private(set) var order: [HookPoint] = []
    private var tensors: [HookPoint: Tensor] = [:]

    /// An empty cache for an input with these token ids (`[]` for images).
    public init(inputIDs: [Int]) { self.inputIDs = inputIDs }

    /// The tensor captured at `point` (shape as the hook point documents), or nil when it was
    /// not captured.
    public subscript(point: HookPoint) -> Tensor? { tensors[point] }

    /// Looks a tensor up by its full hook name (e.g. `blocks.0.attn.hook_pattern`, `[H, n, n]`);
    /// nil for an unknown name or a point that was not captured.
    public subscript(name: String) -> Tensor? {
        HookPoint(name: name).flatMap { tensors[$0] }
    }

    /// Whether nothing was captured.
    public var isEmpty: Bool { order.isEmpty }
    /// Number of captured points.
    public var count: Int { order.count }

    /// `(point, tensor)` pairs in forward order.
    public var entries: [(point: HookPoint, tensor: Tensor)] {
        order.map { ($0, tensors[$0]!) }
    }

    mutating func record(_ point: HookPoint, _ tensor: Tensor) {
        if tensors.updateValue(tensor, forKey: point) == nil { order.append(point) }
    }
}
