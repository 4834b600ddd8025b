import Foundation
import GlassboxRuntime
import GlassboxTensor

/// Runs a forward pass and hands each chosen layer's attention pattern `[H, n, n]` to `consume`
/// as it is produced, so that only what `consume` keeps stays in memory (long inputs: a 2,048-token
/// pattern of one layer is `H · 16 MiB`). The pattern is observed, not edited: the forward pass is
/// bitwise the same as without it.
public enum PatternStream {
    /// - Parameters:
    ///   - layers: the layers to observe (`nil`: all).
    ///   - capture: activations to keep in the result's cache (none by default).
    ///   - consume: called once per observed layer, in layer order, with `[H, n, n]`.
    /// - Returns: the forward result (its cache holds only what `capture` asked for).
    @discardableResult
    public static func run(_ model: TransformerModel, _ input: ModelInput, layers: [Int]? = nil,
                           capture: HookFilter = .none, logitRows: LogitRows = .all,
                           consume: @escaping @Sendable (_ layer: Int, _ pattern: Tensor) -> Void) throws -> ForwardResult {
        let wanted = Set(layers ?? Array(0..<model.architecture.layers))
        var observer = Interventions()
        observer.add(.matching { point in
            if case .block(let l, .pattern) = point { wanted.contains(l) } else { false }
        }) { point, pattern in
            consume(point.layer!, pattern)
            return pattern
        }
        return try model.forward(input, capture: capture, interventions: observer, logitRows: logitRows)
    }
}

/// A lock-protected box for values collected from `@Sendable` hook closures.
public final class Collector<Value>: @unchecked Sendable {
    private var storage: Value
    private let lock = NSLock()

    /// A box holding `initial`.
    public init(_ initial: Value) { storage = initial }

    /// Runs `body` on the stored value under the lock (safe from concurrent hook closures).
    public func update(_ body: (inout Value) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        body(&storage)
    }

    /// The stored value, read under the lock.
    public var value: Value {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
