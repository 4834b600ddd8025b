import Foundation
import Glassbox

/// The memory check before a run: `MemAvailable` read when the command starts (before the model
/// is loaded), compared with `MemoryEstimate` once the input length is known. A run that would
/// not fit stops with one line saying what it needs and what is free, unless `--force`.
///
/// `GLASSBOX_MEMAVAILABLE_BYTES` in the environment replaces `MemAvailable` (tests).
struct MemoryGate {
    /// Bytes available when the command started, or `nil` when unknown.
    let available: Int?
    /// Runs at once sharing the weights (`glassbox batch`'s workers): each holds its own activations.
    var concurrentRuns = 1
    /// Bytes of weights held beside the model's own for part of the run (`evaluate
    /// --randomization`'s copy with redrawn blocks), counted once with the weights.
    var extraWeightBytes = 0
    /// Bytes of the PNG each run draws for an input of the given positions (a token strip's
    /// surface, `TokenStrip.pngBytesBound`), counted with that run's activations; nil: none.
    var picture: (@Sendable (Int) -> Int)?
    /// Whether `picture` is `glassbox batch --pictures`'s (the refusal then suggests what a batch can change).
    var batchPictures = false

    /// Reads the available memory now.
    init() {
        let injected = ProcessInfo.processInfo.environment["GLASSBOX_MEMAVAILABLE_BYTES"].flatMap { Int($0) }
        available = injected ?? AvailableMemory.current()
    }

    /// Throws `MemoryCheckError.wouldNotFit` when `profile` on `prepared` would exceed the memory
    /// available at start; nothing when `force`.
    func check(_ model: TransformerModel, _ prepared: PreparedInput, profile: MemoryEstimate.Profile, force: Bool) throws {
        try check(model, input: prepared.modelInput, profile: profile, force: force)
    }

    /// ``check(_:_:profile:force:)`` for methods run one after another on `prepared` (`evaluate`):
    /// the largest of their estimates.
    func check(_ model: TransformerModel, _ prepared: PreparedInput, profiles: [MemoryEstimate.Profile], force: Bool) throws {
        try check(model, tokens: Self.positions(model, prepared.modelInput), profiles: profiles, force: force)
    }

    /// ``check(_:_:profile:force:)`` for a model input: its token count, or a ViT's patches and [CLS].
    func check(_ model: TransformerModel, input: ModelInput, profile: MemoryEstimate.Profile, force: Bool) throws {
        try check(model, tokens: Self.positions(model, input), profile: profile, force: force)
    }

    /// ``check(_:_:profile:force:)`` for an input of `tokens` positions.
    func check(_ model: TransformerModel, tokens: Int, profile: MemoryEstimate.Profile, force: Bool) throws {
        try check(model, tokens: tokens, profiles: [profile], force: force)
    }

    /// The largest estimate of `profiles` for an input of `tokens` positions: the weights (with
    /// ``extraWeightBytes``) and the program once plus ``concurrentRuns`` times the activations.
    func check(_ model: TransformerModel, tokens: Int, profiles: [MemoryEstimate.Profile], force: Bool) throws {
        guard !force else { return }
        let one = MemoryEstimate(model: model, tokens: tokens, largestOf: profiles)
        let pictureBytes = picture?(tokens) ?? 0
        let (perRun, sumOverflow) = one.activations.addingReportingOverflow(pictureBytes)
        let (runs, overflow) = perRun.multipliedReportingOverflow(by: max(1, concurrentRuns))
        let estimate = MemoryEstimate(weights: one.weights + extraWeightBytes,
                                      activations: overflow || sumOverflow ? Int.max / 2 : runs, program: one.program)
        guard let available, estimate.total > available else { return }
        // Name the picture (and say what to draw instead) only when the run without it would fit.
        let pictures = overflow || sumOverflow ? 0 : pictureBytes * max(1, concurrentRuns)
        guard pictures > 0, estimate.total - pictures <= available else {
            throw MemoryCheckError.wouldNotFit(needed: estimate.total, available: available)
        }
        throw batchPictures ? MemoryCheckError.wouldNotFitWithBatchPictures(needed: estimate.total, available: available, picture: pictures)
                            : MemoryCheckError.wouldNotFitWithPicture(needed: estimate.total, available: available, picture: pictures)
    }

    /// Positions of a model input: its token count, or a ViT's patches and [CLS].
    static func positions(_ model: TransformerModel, _ input: ModelInput) -> Int {
        switch input {
        case .tokens(let ids, _): ids.count
        case .pixels: (model.architecture.image?.patchCount ?? 0) + 1
        }
    }
}
