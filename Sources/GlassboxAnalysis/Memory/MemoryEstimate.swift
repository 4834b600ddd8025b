import Foundation
import GlassboxRuntime
import GlassboxTensor

/// What a run will hold in memory at its peak, estimated before it starts: the weights as they sit
/// in memory (docs/methods.md §0.6) plus the activations the method keeps for the input length.
///
/// The activation terms are upper-bound sketches in Float32, not a measurement: a plain forward
/// holds a few `[n, d]` and `[n, d_ff]` tensors of one layer at a time and the `[n, V]` logits; a
/// cached forward (relevance sweeps, lens, attention pictures) keeps every hook of every layer,
/// with the `H·n²` scores and pattern, plus one layer's worth of gradients during the sweep;
/// AtMan runs one forward per worker thread at a time.
public struct MemoryEstimate: Sendable, Equatable {
    /// How much a method keeps (see the type's documentation).
    public enum Profile: Sendable, Equatable {
        /// One forward, nothing cached (predict, AtMan's single passes).
        case forward
        /// `concurrent` forwards at once (AtMan over worker threads).
        case concurrentForwards(Int)
        /// A forward whose hooks are all cached, then a reverse sweep over them (AttnLRP, CP-LRP,
        /// gradient × input, Chefer, lens, attention pictures).
        case cachedForward
    }

    /// Bytes of the weights in memory.
    public let weights: Int
    /// Bytes of the activations at the peak.
    public let activations: Int
    /// `weights + activations`.
    public var total: Int { weights + activations }

    /// The estimate for `tokens` input positions of `model` under `profile`.
    public init(model: TransformerModel, tokens n: Int, profile: Profile) {
        let a = model.architecture
        let (d, dff, v, layers) = (a.dModel, a.dFF, max(a.vocabSize, 1), a.layers)
        let (qWidth, kvWidth, heads) = (a.heads * a.headDim, a.kvHeads * a.headDim, a.heads)
        // One layer's transient tensors [n, ·] (residuals, norms, q/k/v, z, gate/up/activation) and the logits.
        let layer = n * (4 * d + qWidth + 2 * kvWidth + 3 * dff)
        let logits = n * v
        let floats: Int
        switch profile {
        case .forward:
            floats = layer + logits
        case .concurrentForwards(let count):
            floats = max(1, count) * (layer + heads * n * n) + logits
        case .cachedForward:
            // Every hook of every layer (about 10 [n, d]-wide and 4 [n, d_ff]-wide tensors, scores and
            // pattern [H, n, n]) plus the sweep's gradients for one layer at a time.
            let cachedLayer = n * (6 * d + 2 * qWidth + 2 * kvWidth + 4 * dff) + 2 * heads * n * n
            floats = layers * cachedLayer + 2 * cachedLayer + 2 * logits
        }
        self.init(weights: model.weights.residentBytes, activations: 4 * floats)
    }

    /// An estimate from its two parts (tests, or another estimator).
    public init(weights: Int, activations: Int) {
        self.weights = weights
        self.activations = activations
    }

    /// Throws ``MemoryCheckError/wouldNotFit(needed:available:)`` when the estimate exceeds
    /// `available` bytes; `nil` (unknown, e.g. no `/proc/meminfo`) passes.
    public func check(available: Int?) throws {
        guard let available, total > available else { return }
        throw MemoryCheckError.wouldNotFit(needed: total, available: available)
    }
}

/// A run that would not fit in the memory the system has free.
public enum MemoryCheckError: Error, LocalizedError, Equatable {
    /// The estimate (bytes) exceeds what is available (bytes).
    case wouldNotFit(needed: Int, available: Int)

    /// One line: what is needed, what is available, and the way out.
    public var errorDescription: String? {
        switch self {
        case .wouldNotFit(let needed, let available):
            "this run needs about \(Self.size(needed)), \(Self.size(available)) available; shorten the input, close other programs, or pass --force to try anyway"
        }
    }
}

extension MemoryCheckError {
    /// `12.3 GB`, or `456 MB` below a gigabyte (decimal units).
    static func size(_ bytes: Int) -> String {
        bytes >= 1_000_000_000 ? String(format: "%.1f GB", Double(bytes) / 1e9) : String(format: "%.0f MB", Double(bytes) / 1e6)
    }
}

/// The memory the system can give a new run without swapping: `MemAvailable` of `/proc/meminfo`.
public enum AvailableMemory {
    /// `MemAvailable` in bytes from the text of `/proc/meminfo` (`MemAvailable:   123456 kB`), or
    /// `nil` when the line is missing or malformed.
    public static func parse(meminfo: String) -> Int? {
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.dropFirst("MemAvailable:".count).split(separator: " ")
            guard let value = fields.first.flatMap({ Int($0) }), value >= 0 else { return nil }
            let unit = fields.count > 1 ? fields[1].lowercased() : "b"
            switch unit {
            case "kb": return value * 1024
            case "b": return value
            default: return nil
            }
        }
        return nil
    }

    /// `MemAvailable` now, or `nil` where `/proc/meminfo` cannot be read (not Linux).
    public static func current() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        return parse(meminfo: text)
    }
}
