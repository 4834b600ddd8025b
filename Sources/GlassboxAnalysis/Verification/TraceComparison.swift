import GlassboxRuntime
import GlassboxTensor

/// Every hook point of a forward pass against a reference trace (`ReferenceTrace`): per hook the
/// shapes, the largest absolute difference, where it is and the two values there.
///
/// A hook passes when the shapes agree and `max |ours − reference| ≤ absolute + relative · max |reference|`
/// (the maximum over that hook's finite reference values; equal infinities, such as masked attention
/// scores, agree; NaN agrees only with NaN). A reference hook the forward did not fire fails; hooks
/// the reference does not hold are counted as unchecked.
public struct TraceComparison: Sendable {
    /// The tolerance of one hook (see the type's description).
    public struct Tolerance: Sendable, Equatable {
        /// Allowed absolute difference.
        public var absolute: Float
        /// Allowed difference relative to the hook's largest finite |reference| value.
        public var relative: Float

        /// A tolerance from its two parts.
        public init(absolute: Float = 1e-4, relative: Float = 1e-4) { (self.absolute, self.relative) = (absolute, relative) }

        /// The allowed difference for a reference tensor whose largest finite magnitude is `scale`.
        public func allowed(scale: Float) -> Float { absolute + relative * scale }
    }

    /// One compared hook.
    public struct Row: Sendable, Equatable {
        /// The hook name.
        public let hook: String
        /// Our shape (nil: the forward did not fire this hook).
        public let shape: [Int]?
        /// The reference's shape.
        public let referenceShape: [Int]
        /// `max |ours − reference|` (nil when the shapes differ or the hook is missing; +∞ where one
        /// side is non-finite and the other is not).
        public let maxDifference: Float?
        /// Where the largest difference is (multi-index into the shape; nil as above).
        public let index: [Int]?
        /// Our value and the reference's at `index`.
        public let values: (ours: Float, reference: Float)?
        /// The allowed difference for this hook.
        public let allowed: Float
        /// Whether the hook agrees within `allowed`.
        public let passed: Bool

        /// Rows compare by everything but the value pair's tuple identity.
        public static func == (a: Row, b: Row) -> Bool {
            a.hook == b.hook && a.shape == b.shape && a.referenceShape == b.referenceShape && a.maxDifference == b.maxDifference
                && a.index == b.index && a.values?.ours == b.values?.ours && a.values?.reference == b.values?.reference
                && a.allowed == b.allowed && a.passed == b.passed
        }
    }

    /// One row per reference hook, in the reference's (forward) order.
    public let rows: [Row]
    /// Hooks our forward fired that the reference does not hold.
    public let unchecked: [String]
    /// The tolerance used.
    public let tolerance: Tolerance

    /// Whether every reference hook agrees.
    public var passed: Bool { rows.allSatisfy(\.passed) }
    /// The first failing hook in forward order (where the two implementations begin to diverge).
    public var firstFailure: Row? { rows.first { !$0.passed } }

    /// Compares `cache` (a forward pass with every hook captured, on the trace's input) with `reference`.
    public static func compare(_ cache: ActivationCache, reference: ReferenceTrace, tolerance: Tolerance = Tolerance()) -> TraceComparison {
        let rows = reference.hooks.map { hook -> Row in
            let expected = hook.tensor
            let allowed = tolerance.allowed(scale: Self.finiteMagnitude(expected))
            guard let ours = cache[hook.name] else {
                return Row(hook: hook.name, shape: nil, referenceShape: expected.shape, maxDifference: nil, index: nil,
                           values: nil, allowed: allowed, passed: false)
            }
            guard ours.shape == expected.shape else {
                return Row(hook: hook.name, shape: ours.shape, referenceShape: expected.shape, maxDifference: nil, index: nil,
                           values: nil, allowed: allowed, passed: false)
            }
            let (difference, flat) = maxAbsDifference(ours, expected)
            let index = flat >= 0 ? expected.multiIndex(ofFlat: flat) : []
            let values = flat >= 0 ? (ours.storage[flat], expected.storage[flat]) : (Float(0), Float(0))
            return Row(hook: hook.name, shape: ours.shape, referenceShape: expected.shape, maxDifference: max(difference, 0),
                       index: index, values: values, allowed: allowed, passed: difference <= allowed)
        }
        let names = Set(reference.hooks.map(\.name))
        let unchecked = cache.order.map(\.name).filter { !names.contains($0) }
        return TraceComparison(rows: rows, unchecked: unchecked, tolerance: tolerance)
    }

    /// The largest |value| among the finite values (0 for none).
    static func finiteMagnitude(_ t: Tensor) -> Float {
        t.storage.reduce(Float(0)) { $1.isFinite ? max($0, abs($1)) : $0 }
    }
}
