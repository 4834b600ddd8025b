import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor

/// The gradient the reverse sweep computes — the one plain gradient × input uses — against central
/// finite differences of the forward pass, at a few coordinates of the token embeddings
/// (`hook_embed`; vision: the `[CLS]` and patch embedding rows).
///
/// For the explained scalar `f` (a logit, or a dot similarity for encoders without a head) and a
/// coordinate `(t, k)`: `numeric = (f(e + h·δ_tk) − f(e − h·δ_tk)) / 2h`, each `f` a full forward pass
/// with the embedding edited at `hook_embed`, against `analytic = ∂f/∂e[t, k]` from the sweep with every
/// rule the true derivative (`RuleTable.gradientTimesInput`). The error of a coordinate is
/// `|numeric − analytic| / max_{t,k} |∂f/∂e|`; the check passes when every error is within the tolerance.
///
/// The step is relative to what is perturbed: `h = step · rms(e_t)`, the root mean square of the
/// edited row `e_t` of `hook_embed` (a zero row: of all of `hook_embed`; an all-zero embedding: `h =
/// step`). A model is a function of its embeddings at their own scale: a GraniteMoE with
/// `embedding_multiplier` 1e-3 has rows of RMS ~1e-3, on which the absolute `h = 1e-2` this check
/// took before is ten rows' worth and the differences measure another function (its RMSNorm
/// leaves the ε-dominated regime) — a false failure (0.47 in the red team's case, 0.15 in
/// VerificationTests') of a correct gradient. gpt2-tiny's rows have RMS 0.8 to 1.3, so on the
/// fixture models the default `step = 1e-2` is close to the absolute step they were checked with
/// before (every one passes).
///
/// In fp32 the central difference errs by about `h²/6·f'''` (truncation) plus `ε·|f|/h`
/// (rounding, ε ≈ 6e-8): with the default step the fixture models' errors are 1e-5 to
/// 4e-4 of the largest gradient entry; at a tenth of it rounding lifts them to ~1e-3, at a
/// hundredth to ~3e-2.
/// A kink (ReLU) or a jump (a mixture of experts switching its routing) within `h` of the coordinate
/// spoils a central difference whatever the gradient, so a coordinate that misses at `h` is measured
/// again at `h/4`, then `h/16`, centrally and one-sided on each side (`(f(e ± h'·δ) − f(e)) / ±h'`: a
/// kink on one side leaves the other side's slope exact up to `h'/2·f''`; a ReLU model with many
/// narrow pre-activations — OPT's, post-LN — has kinks within `h/4` on both sides, a top-1 router
/// switches within `h/4`), keeping the smallest error: a wrong gradient misses every slope. The
/// default tolerance is `1e-2` of the largest gradient entry.
public struct GradientCheck: Sendable, Equatable {
    /// One checked coordinate.
    public struct Coordinate: Sendable, Equatable {
        /// Position (row of `hook_embed`).
        public let position: Int
        /// Hidden dimension.
        public let dimension: Int
        /// `∂f/∂e[t, k]` from the reverse sweep.
        public let analytic: Float
        /// The central difference.
        public let numeric: Float
        /// `|numeric − analytic| / scale`.
        public let error: Float
        /// The relative step of the difference kept (`step`, or `step/4` or `step/16` where `step`
        /// missed: central or one-sided).
        public let step: Float
        /// The absolute increment that step is at this coordinate: `step · rms(e_t)`.
        public let increment: Float
    }

    /// The relative finite-difference step: `h = step · rms(e_t)` at row `t`.
    public let step: Float
    /// `max |∂f/∂e|` over all coordinates: the scale errors are measured against.
    public let scale: Float
    /// The checked coordinates: the largest gradient entries first, then seeded random ones.
    public let coordinates: [Coordinate]
    /// The allowed error.
    public let tolerance: Float
    /// The explained scalar (`logit` or `similarity-dot`) and its value.
    public let objective: String

    /// The largest error over the coordinates.
    public var maxError: Float { coordinates.map(\.error).max() ?? 0 }
    /// Whether every coordinate is within the tolerance (and the gradient is finite).
    public var passed: Bool { scale.isFinite && coordinates.allSatisfy { $0.error <= tolerance } }

    /// Checks `count` coordinates (half the largest `|∂f/∂e|`, half drawn with `seed`).
    ///
    /// - Parameters:
    ///   - target: what to differentiate (default: the top prediction's logit; headless encoders: the
    ///     dot similarity of the mean-pooled output with that of the unedited input). A top-prediction
    ///     target is fixed to its id first, so an edit cannot change which logit is read.
    public static func run(_ model: TransformerModel, _ input: ModelInput, target: RelevanceTarget? = nil,
                           count: Int = 8, step: Float = 1e-2, tolerance: Float = 1e-2, seed: UInt64 = 20) throws -> GradientCheck {
        try run(model, input, target: target, count: count, step: step, tolerance: tolerance, seed: seed, corrupting: { _ in })
    }

    /// ``run(_:_:target:count:step:tolerance:seed:)`` with the sweep's gradient `[n, d]` passed
    /// through `corrupting` before it is compared (tests: a wrong gradient must fail).
    static func run(_ model: TransformerModel, _ input: ModelInput, target: RelevanceTarget?, count: Int, step: Float,
                    tolerance: Float, seed: UInt64, corrupting: (inout Tensor) -> Void) throws -> GradientCheck {
        guard step > 0, step.isFinite, count > 0 else { throw AnalysisError.invalidOption("gradient check: step must be > 0 and count ≥ 1") }
        var model = model
        model.checksActivations = false
        let arch = model.architecture
        let table = RuleTable.gradientTimesInput
        var target = target ?? Verification.defaultTarget(model, input)
        let position = try Relevance.resolvePosition(target, input: input, architecture: arch)
        let forward = try model.forward(input, capture: ReverseSweep.capture(arch, table),
                                        logitRows: .positions([position]))
        let n = forward.hidden.shape[0], d = arch.dModel
        var sweep = ReverseSweep(model: model, cache: forward.cache, table: table, length: n)
        let (gHidden, explained) = try sweep.headBackward(target, position: position, forward: forward)
        let embed = try sweep.tensor(.embed)   // [n, d]
        var gradient = try sweep.embeddingSumBackward(try sweep.blocksBackward(gHidden), embed: embed)   // [n, d]
        corrupting(&gradient)
        let scales = Self.rowScales(embed)   // [n]

        // The scalar of a perturbed forward pass.
        let scalar: (ForwardResult) -> Double
        if case .similarity(let other, _) = target.objective {
            let pooling = target.pooling
            let fixed = pooling.pool(try model.forward(other).hidden)
            scalar = { result in zip(pooling.pool(result.hidden), fixed).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
        } else {
            if case .logits(let ids) = target.objective, ids.isEmpty { target = .token(explained.ids[0], position: target.position) }
            guard let logits = forward.logits else { throw AnalysisError.invalidOption("\(arch.modelType) has no prediction head") }
            let (seedVector, _) = try ReverseSweep.seed(target.objective, logits: logits.row(0).storage, position: position)
            scalar = { result in
                let row = result.logits?.row(0).storage ?? []
                return zip(seedVector, row).reduce(0.0) { $1.0 == 0 ? $0 : $0 + Double($1.0) * Double($1.1) }
            }
        }
        let evaluate = { (t: Int, k: Int, delta: Float) throws -> Double in
            let edit = Interventions(.embed) { _, embed in
                var edited = embed
                edited.storage[t * d + k] += delta
                return edited
            }
            return scalar(try model.forward(input, interventions: edit, logitRows: .positions([position])))
        }

        let magnitudes = gradient.storage.map(abs)
        let scale = magnitudes.max() ?? 0
        var chosen: [Int] = Array(magnitudes.indices.sorted { magnitudes[$0] > magnitudes[$1] || (magnitudes[$0] == magnitudes[$1] && $0 < $1) }
            .prefix((count + 1) / 2))
        var random = SplitMix64(seed: seed)
        while chosen.count < min(count, gradient.count) {
            let candidate = Int(random.next() % UInt64(gradient.count))
            if !chosen.contains(candidate) { chosen.append(candidate) }
        }
        let coordinates = try chosen.map { flat -> Coordinate in
            let (t, k) = (flat / d, flat % d)
            let analytic = gradient.storage[flat]
            func coordinate(_ numeric: Float, _ relative: Float, _ h: Float) -> Coordinate {
                let error = scale > 0 ? abs(numeric - analytic) / scale : abs(numeric - analytic)
                return Coordinate(position: t, dimension: k, analytic: analytic, numeric: numeric,
                                  error: error.isNaN ? .infinity : error, step: relative, increment: h)
            }
            let h0 = step * scales[t]
            var best = coordinate(Float((try evaluate(t, k, h0) - (try evaluate(t, k, -h0))) / (2 * Double(h0))), step, h0)
            var centre: Double?
            for relative in [step / 4, step / 16] where best.error > tolerance {
                let h = relative * scales[t]
                let (above, below) = (try evaluate(t, k, h), try evaluate(t, k, -h))
                let f = try centre ?? evaluate(t, k, 0)
                centre = f
                best = ([best, coordinate(Float((above - below) / (2 * Double(h))), relative, h),
                         coordinate(Float((above - f) / Double(h)), relative, h), coordinate(Float((f - below) / Double(h)), relative, h)])
                    .min { $0.error < $1.error }!
            }
            return best
        }
        return GradientCheck(step: step, scale: scale, coordinates: coordinates, tolerance: tolerance, objective: explained.objective)
    }

    /// Per row `t` of `embed [n, d]`: the scale its relative step is taken of, `rms(e_t) =
    /// √(Σ_k e_tk² / d)`; a zero row takes the RMS of all of `embed`, an all-zero `embed` 1.
    static func rowScales(_ embed: Tensor) -> [Float] {
        let d = embed.shape[1]
        func rms(_ values: ArraySlice<Float>) -> Float {
            values.isEmpty ? 0 : Float((values.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(values.count)).squareRoot())
        }
        let whole = rms(embed.storage[...])
        return (0..<embed.shape[0]).map { t in
            let row = rms(embed.storage[(t * d)..<((t + 1) * d)])
            return row > 0 && row.isFinite ? row : (whole > 0 && whole.isFinite ? whole : 1)
        }
    }
}
