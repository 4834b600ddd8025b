import Foundation
import GlassboxRuntime

extension AtMan {
    /// What is explained.
    public enum Target: Sendable, Equatable {
        /// Causal LMs: tokens continuing the input, scored by teacher forcing as the reference does
        /// (`Explainer.collect_logits_by_manipulating_attention`): the input becomes
        /// `ids + targets.dropLast()`, and target `t` is scored at position `ids.count − 1 + t`.
        /// The appended target positions are explained (suppressed) too.
        case continuation([Int])
        /// Any token head: token `id` predicted at `position` (causal LMs: the next token after
        /// `position`; masked LMs: the prediction at a `[MASK]`).
        case token(id: Int, position: Int)
        /// Classifiers (BERT sequence classification, ViT): the class `index`, read at `[CLS]`.
        case label(Int)
    }

    /// The per-target score of a perturbation.
    public enum Score: String, Sendable, Equatable, CaseIterable {
        /// `ΔCE_t = CE(perturbed) − CE(original)` of the target: the rise in its negative
        /// log-likelihood, so positive means the suppressed tokens supported the prediction.
        /// (The reference's `get_delta_cross_entropies` returns the opposite sign.)
        case crossEntropy = "delta-ce"
        /// `Δlogit_t = logit(original) − logit(perturbed)` of the target (`get_delta_logits`):
        /// positive means suppression lowered the target logit.
        case logit = "delta-logit"
    }

    /// How the perturbed passes run.
    public enum Engine: String, Sendable, Equatable, CaseIterable {
        /// Batched suffix passes (`TransformerModel.forwardSuffixes`): stacked rows, causal prefix
        /// reuse. The default.
        case batched
        /// One plain `forward` per perturbation with an `attn.hook_attn_scores` intervention: no
        /// batching, no reuse. Slow; the readable reference the batched engine is tested against.
        case hooks
    }

    /// AtMan's parameters. Defaults are the reference's (`atman_magma/explainer.py`,
    /// `manipulate_attention.py`): factor 0.1, conceptual suppression at κ = 0.6 with
    /// similarity-scaled factors, all layers, each row shifted by the minimum of its raw scores.
    public struct Options: Sendable {
        /// `f`: suppressed key columns are multiplied by it after the shift (0.1 keeps 10%). `f = 0`
        /// does not remove a token: it drops its scores to the row's minimum.
        public var factor: Float = 0.1
        /// `κ`: also suppress every other position whose input embedding has cosine similarity
        /// ≥ κ with a suppressed one (`nil`: no conceptual suppression).
        public var kappa: Float? = 0.6
        /// Suppress those neighbours with `(1 − f)(1 − cos) + f` instead of `f`
        /// (`modify_suppression_factor_based_on_cossim`).
        public var scaleFactorBySimilarity = true
        /// The row shift before the factors. `.rowMinimum` (default) is the official code's: the
        /// minimum of the whole raw row, including keys the query cannot see (causally-future or
        /// outside a sliding window). `.visibleKeyMinimum` is Glassbox's own variant, the minimum over
        /// the keys the query sees (the same in bidirectional models); `.none` is BLIP's ViT variant.
        ///
        /// Without a shift a factor below 1 raises negative scores towards 0, i.e. amplifies them,
        /// so `.none` is offered only for parity with BLIP.
        public var shift: AttentionScoreEdit.Shift = .rowMinimum
        /// The layers manipulated (`nil`: all).
        public var layers: [Int]? = nil
        /// How a perturbation is scored per target (default `.crossEntropy`, ΔCE).
        public var score: Score = .crossEntropy
        /// Square each per-target score before summing over targets (the repository's examples).
        public var squared = false
        /// Divides the logits before the cross-entropy (the reference's `temperature`).
        public var temperature: Float? = nil
        /// How the perturbed passes run (default `.batched`).
        public var engine: Engine = .batched
        /// Stacked rows per chunk of the batched engine (bounds memory).
        public var rowBudget = 4096
        /// Called with `(completed, total)` units of work; see `AtMan.stderrProgress`.
        public var progress: (@Sendable (_ completed: Int, _ total: Int) -> Void)? = nil
        /// Called once with the number of perturbed passes and the estimated average time of one
        /// (seconds), so a caller can announce a long run (see `AtMan.estimateLine`). The batched
        /// engine calls it after its first pass, timed and scaled by ``AtManCost`` (each pass
        /// recomputes the rows from its first suppressed key on); the hooks engine before the
        /// passes, with the unperturbed pass's time (each pass reruns every row).
        public var estimate: (@Sendable (_ passes: Int, _ secondsPerPass: Double) -> Void)? = nil

        /// The reference's defaults, as listed above; set fields to change them.
        public init() {}

        /// The parameters as strings, for provenance.
        var provenance: [String: String] {
            var p = ["factor": "\(factor)", "kappa": kappa.map { "\($0)" } ?? "off",
                     "scaleFactorBySimilarity": "\(scaleFactorBySimilarity)", "shift": "\(shift)",
                     "score": score.rawValue, "squared": "\(squared)", "engine": engine.rawValue,
                     "layers": layers.map { $0.map(String.init).joined(separator: ",") } ?? "all"]
            if let temperature { p["temperature"] = "\(temperature)" }
            return p
        }

        func validate(layers count: Int) throws {
            guard factor.isFinite && factor >= 0 else {
                throw AnalysisError.invalidOption("the suppression factor must be a number ≥ 0, got \(factor)")
            }
            if let kappa, !(kappa >= 0 && kappa <= 1) {
                throw AnalysisError.invalidOption("κ (the conceptual-suppression threshold) must be in [0, 1], got \(kappa)")
            }
            if let temperature, !(temperature > 0 && temperature.isFinite) {
                throw AnalysisError.invalidOption("the temperature must be > 0, got \(temperature)")
            }
            for l in layers ?? [] where l < 0 || l >= count { throw AnalysisError.layerOutOfRange(l, layers: count) }
            if layers?.isEmpty == true { throw AnalysisError.invalidOption("the layer list is empty") }
            guard rowBudget >= 1 else { throw AnalysisError.invalidOption("the row budget must be at least 1") }
        }
    }

    /// A progress line on standard error (opt-in): `atman  [#####-----]  50%  3.2 s`,
    /// redrawn at most ten times a second and ended with a newline when the work is done.
    ///
    /// - Parameter label: the word before the bar.
    public static func stderrProgress(label: String = "atman") -> @Sendable (Int, Int) -> Void {
        let bar = ProgressLine(label: label)
        return { done, total in bar.update(done, total) }
    }

    /// The text of a progress line: `label  [#####-----]  50%  3.2 s` (`fraction` of the work done,
    /// `elapsed` seconds), the bar `progressCells(fraction)`.
    public static func progressText(label: String, fraction: Double, elapsed: Double) -> String {
        String(format: "%@  [%@] %3d%%  %.1f s", label, progressCells(fraction), Int(fraction * 100), elapsed)
    }

    /// A bar of 30 cells, `#` for the `fraction` done and `-` for the rest.
    public static func progressCells(_ fraction: Double) -> String {
        let width = 30, filled = min(width, max(0, Int(fraction * Double(width))))
        return String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
    }
}

extension AtMan {
    /// Runs longer than this (estimated, seconds) are announced by `estimateLine`.
    public static let announcedRun = 30.0

    /// The time estimate of a run, `passes × secondsPerPass` (the average estimated pass, see
    /// ``Options/estimate``), as one stderr line — or nil when the estimate is at most `announcedRun` seconds.
    /// `hint` is appended after a semicolon (e.g. how to make fewer passes).
    public static func estimateLine(passes: Int, secondsPerPass: Double, hint: String? = nil) -> String? {
        let total = Double(passes) * secondsPerPass
        guard total > announcedRun else { return nil }
        let duration = total < 120 ? String(format: "%.0f s", total)
            : total < 7200 ? String(format: "%.0f min", total / 60) : String(format: "%.1f h", total / 3600)
        let line = "atman: \(passes) passes × \(String(format: "%.2f", secondsPerPass)) s per pass ≈ \(duration) (estimate)"
        return hint.map { line + "; " + $0 } ?? line
    }
}

extension AtMan {
    /// The state of one stderr progress line.
    final class ProgressLine: @unchecked Sendable {
        private let label: String
        private let lock = NSLock()
        private let started = Date()
        private var lastDraw = Date.distantPast
        private var finished = false

        init(label: String) { self.label = label }

        func update(_ done: Int, _ total: Int) {
            lock.lock()
            defer { lock.unlock() }
            let now = Date()
            let complete = done >= total
            guard !finished, complete || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
            lastDraw = now
            let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
            let line = "\r" + AtMan.progressText(label: label, fraction: fraction, elapsed: now.timeIntervalSince(started))
            FileHandle.standardError.write(Data((line + (complete ? "\n" : "")).utf8))
            finished = complete
        }
    }
}
