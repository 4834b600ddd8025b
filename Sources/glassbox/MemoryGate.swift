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

    /// Reads the available memory now.
    init() {
        let injected = ProcessInfo.processInfo.environment["GLASSBOX_MEMAVAILABLE_BYTES"].flatMap { Int($0) }
        available = injected ?? AvailableMemory.current()
    }

    /// Throws `MemoryCheckError.wouldNotFit` when `profile` on `prepared` would exceed the memory
    /// available at start; nothing when `force`.
    func check(_ model: TransformerModel, _ prepared: PreparedInput, profile: MemoryEstimate.Profile, force: Bool) throws {
        guard !force else { return }
        let tokens: Int = switch prepared.modelInput {
        case .tokens(let ids, _): ids.count
        case .pixels: (model.architecture.image?.patchCount ?? 0) + 1
        }
        try MemoryEstimate(model: model, tokens: tokens, profile: profile).check(available: available)
    }
}
