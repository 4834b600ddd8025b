import GlassboxRuntime
import GlassboxTensor

/// `glassbox verify`: does this checkpoint run as it should? Five value-returning checks on one input
/// (docs/correctness.md, "Checking a checkpoint"):
///
/// 1. `conservation` — the AttnLRP relevance budget closes (`ConservationCheck`);
/// 2. `gradient` — the sweep's gradient against central differences (`GradientCheck`);
/// 3. `determinism` — 1 worker thread against several (`DeterminismCheck`);
/// 4. `finite` — no NaN or ±Inf at any hook point (`FinitenessCheck`);
/// 5. `reference` — every hook point against a PyTorch trace, when one is given (`TraceComparison`).
///
/// ```swift
/// let report = try Verification.run(model, .tokens(ids, types: nil))
/// report.passed              // all five (four without a reference)
/// report.firstFailure        // .gradient, …: the first failing check in the order above (finite first)
/// ```
public enum Verification {
    /// A check's name, as the CLI prints it.
    public enum Check: String, Sendable, CaseIterable {
        /// AttnLRP conservation budget.
        case conservation
        /// Finite-difference gradient check.
        case gradient
        /// Thread-count determinism.
        case determinism
        /// No non-finite activations.
        case finite
        /// Hook-by-hook comparison with a reference trace.
        case reference
    }

    /// The tolerances and sizes of the checks (defaults as each check states).
    public struct Options: Sendable, Equatable {
        /// Conservation: relative remainder allowed.
        public var conservationTolerance: Double = 1e-4
        /// Gradient: finite-difference step relative to the perturbed row's RMS (`GradientCheck`).
        public var gradientStep: Float = 1e-2
        /// Gradient: allowed error relative to the largest gradient entry.
        public var gradientTolerance: Float = 1e-2
        /// Gradient: how many coordinates.
        public var gradientCoordinates: Int = 8
        /// Determinism: the worker counts compared (nil: 1 and `max(2, current)`).
        public var threads: [Int]? = nil
        /// Determinism: allowed relative difference.
        public var determinismTolerance: Float = 1e-6
        /// Reference: the per-hook tolerance.
        public var referenceTolerance = TraceComparison.Tolerance()

        /// The defaults.
        public init() {}
    }

    /// Every check's result.
    public struct Report: Sendable {
        /// AttnLRP conservation budget.
        public let conservation: ConservationCheck
        /// Finite-difference gradient check.
        public let gradient: GradientCheck
        /// Thread-count determinism.
        public let determinism: DeterminismCheck
        /// No non-finite activations.
        public let finite: FinitenessCheck
        /// The hook-by-hook comparison (nil without a reference).
        public let reference: TraceComparison?

        /// Whether `check` passed (a reference check that did not run counts as passed).
        public func passed(_ check: Check) -> Bool {
            switch check {
            case .conservation: conservation.passed
            case .gradient: gradient.passed
            case .determinism: determinism.passed
            case .finite: finite.passed
            case .reference: reference?.passed ?? true
            }
        }

        /// The checks that ran, in order.
        public var checks: [Check] { Check.allCases.filter { $0 != .reference || reference != nil } }
        /// The failing checks, in order.
        public var failures: [Check] { checks.filter { !passed($0) } }
        /// The failing check to report: `finite` when it fails (a NaN or ±Inf spoils every other
        /// check, and `finite` names the hook where it starts), else the first in order.
        public var firstFailure: Check? { failures.contains(.finite) ? .finite : failures.first }
        /// Whether every check that ran passed.
        public var passed: Bool { failures.isEmpty }
    }

    /// Runs every check on `input` (and, with `reference`, compares every hook with it; the input
    /// should then be the trace's, `reference.input`).
    ///
    /// - Parameter progress: called with each check's name before it runs.
    public static func run(_ model: TransformerModel, _ input: ModelInput, reference: ReferenceTrace? = nil,
                           options: Options = Options(), progress: (Check) -> Void = { _ in }) throws -> Report {
        var unchecked = model
        unchecked.checksActivations = false
        progress(.finite)
        let traced = try unchecked.forward(input, capture: .all)
        let finite = FinitenessCheck.scan(traced.cache)
        progress(.conservation)
        let conservation = try ConservationCheck.run(model, input, tolerance: options.conservationTolerance)
        progress(.gradient)
        let gradient = try GradientCheck.run(model, input, count: options.gradientCoordinates, step: options.gradientStep,
                                             tolerance: options.gradientTolerance)
        progress(.determinism)
        let determinism = try DeterminismCheck.run(model, input, threads: options.threads, tolerance: options.determinismTolerance)
        var comparison: TraceComparison?
        if let reference {
            progress(.reference)
            comparison = TraceComparison.compare(traced.cache, reference: reference, tolerance: options.referenceTolerance)
        }
        return Report(conservation: conservation, gradient: gradient, determinism: determinism, finite: finite, reference: comparison)
    }

    /// The default explained scalar: the top prediction at the default position, or, for an
    /// encoder without a head, the dot similarity of the mean-pooled output with the input's own.
    public static func defaultTarget(_ model: TransformerModel, _ input: ModelInput) -> RelevanceTarget {
        model.architecture.head == .none ? .similarity(to: input, measure: .dot) : .top()
    }

    /// A deterministic input for a model when none is given: `min(8, context)` token ids spread over
    /// the vocabulary, or (vision) pixels drawn uniformly from [−1, 1] with a fixed seed.
    public static func defaultInput(_ model: TransformerModel) -> ModelInput {
        let arch = model.architecture
        if let image = arch.image {
            var random = SplitMix64(seed: 7)
            return .pixels(random.tensor([image.channels, image.height, image.width]))
        }
        let n = max(1, min(8, arch.contextLength))
        let v = max(arch.vocabSize, 1)
        return .tokens((0..<n).map { (($0 * 7919) + 11) % v }, types: nil)
    }
}
