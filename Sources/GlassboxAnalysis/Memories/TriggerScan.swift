import Dispatch
import GlassboxRuntime
import GlassboxTensor

/// Which activation ranks a neuron's trigger examples.
public enum ScanActivation: String, Sendable, Codable, CaseIterable {
    /// `mlp.hook_pre`: the key's pre-activation `x·k_i + b_i` (Geva et al. 2021 store `fc1` outputs;
    /// for gated MLPs, the gate's).
    case preActivation = "pre"
    /// `mlp.hook_post`: the memory coefficient `m_i`.
    case coefficient = "post"
}

/// One trigger example: the prefix that activates a neuron most within one sequence.
public struct TriggerExample: Sendable, Equatable, Codable {
    /// Index of the sequence in the scanned stream (0-based, empty sequences count).
    public let sequence: Int
    /// The position of the maximum within that sequence.
    public let position: Int
    /// The maximum over positions (raw; Geva et al. apply ReLU, which only clips negatives).
    public let activation: Float
    /// The first position of `prefix` (`position − prefixTokens + 1`, or 0).
    public let prefixStart: Int
    /// Tokens `prefixStart...position`: the trigger prefix, ending at the maximum.
    public let prefix: [Int]
    /// The token after the maximum (`nil` at the end of the sequence): what the key-value agreement
    /// compares with the value's top token.
    public let nextToken: Int?

    /// An example from its fields, as listed above.
    public init(sequence: Int, position: Int, activation: Float, prefixStart: Int, prefix: [Int], nextToken: Int?) {
        (self.sequence, self.position, self.activation) = (sequence, position, activation)
        (self.prefixStart, self.prefix, self.nextToken) = (prefixStart, prefix, nextToken)
    }
}

/// The trigger examples of one layer.
public struct LayerTriggers: Sendable, Equatable, Codable {
    /// Index of the layer, 0-based.
    public let layer: Int
    /// `[dff]` (a mixture: `[E·dff]`, expert-major), each best first, at most `examplesPerNeuron`.
    public let neurons: [[TriggerExample]]
}

/// What a corpus scan kept.
public struct TriggerScanResult: Sendable, Equatable, Codable {
    /// `"ffn-trigger-scan"`.
    public let method: String
    /// Provenance: layers, examples per neuron, activation, prefix and window lengths, workers.
    public let parameters: [String: String]
    /// One entry per scanned layer, in `ScanOptions.layers` order.
    public let layers: [LayerTriggers]
    /// Sequences read, including empty ones.
    public let sequences: Int
    /// Tokens run through the model.
    public let tokens: Int
    /// Wall-clock duration of the scan in seconds.
    public let seconds: Double
}

/// Progress of a running scan, reported after every batch.
public struct ScanProgress: Sendable, Equatable {
    /// Sequences read so far (including empty ones).
    public let sequences: Int
    /// Tokens run through the model so far.
    public let tokens: Int
    /// Wall-clock seconds since the scan started.
    public let seconds: Double
    /// Throughput so far, `tokens / seconds` (0 before any time has passed).
    public var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }
}

extension FFNMemories {
    /// What a trigger scan tracks and how it runs.
    public struct ScanOptions: Sendable {
        /// The layers whose neurons are tracked.
        public var layers: [Int]
        /// Examples kept per neuron (Geva et al.: 5 in code, 50 in the README examples, 25 annotated).
        public var examplesPerNeuron: Int
        /// Which activation ranks examples (default the pre-activation, as Geva et al.). A mixture of
        /// experts always ranks by the coefficient (expert `hook_post` × routing weight): its experts'
        /// pre-activations exist only at the positions routed to them.
        public var activation: ScanActivation
        /// Tokens of prefix stored per example (ending at the maximum).
        public var prefixTokens: Int
        /// Longer sequences are run in consecutive windows of this many tokens (default and cap:
        /// the model's context length); positions stay those of the whole sequence.
        public var windowLength: Int?
        /// Forward passes run at once (default: the worker thread count). With more than one, the
        /// process-wide `Threading` count is divided among them for the scan's duration (two
        /// passes on one BLAS thread each beat one pass on two) and restored afterwards.
        public var workers: Int

        /// Options from their fields, as listed above; checked when the scan runs.
        public init(layers: [Int], examplesPerNeuron: Int = 10, activation: ScanActivation = .preActivation,
                    prefixTokens: Int = 16, windowLength: Int? = nil, workers: Int = Threading.threads) {
            (self.layers, self.examplesPerNeuron, self.activation) = (layers, examplesPerNeuron, activation)
            (self.prefixTokens, self.windowLength, self.workers) = (prefixTokens, windowLength, workers)
        }
    }

    /// Trigger examples (Geva et al., EMNLP 2021, §3.1 and `ff-layers/analysis/generate_outputs.py`):
    /// streams tokenized sequences through the model and keeps, per neuron of the chosen layers, the
    /// `examplesPerNeuron` sequences whose maximum activation over positions is largest, with the
    /// prefix up to that position and the next token.
    ///
    /// Memory is bounded by the kept examples (`layers × dff × examplesPerNeuron × (prefixTokens + 5)`
    /// integers) plus one sequence and `workers` forward passes; the stream is read one sequence at
    /// a time from `next` on the calling thread. The result does not depend on `workers`.
    ///
    /// - Parameters:
    ///   - next: returns the next tokenized sequence, `nil` at the end.
    ///   - progress: called on the calling thread after every batch of `workers` windows.
    public static func scanTriggers(_ model: TransformerModel, options: ScanOptions, next: () throws -> [Int]?,
                                    progress: ((ScanProgress) -> Void)? = nil) throws -> TriggerScanResult {
        let arch = model.architecture
        guard arch.image == nil else { throw AnalysisError.invalidOption("a corpus scan needs a text model") }
        guard !options.layers.isEmpty else { throw AnalysisError.invalidOption("choose at least one layer to scan") }
        for l in options.layers where l < 0 || l >= arch.layers { throw AnalysisError.layerOutOfRange(l, layers: arch.layers) }
        guard Set(options.layers).count == options.layers.count else { throw AnalysisError.invalidOption("a layer is listed twice") }
        guard options.examplesPerNeuron >= 1, options.prefixTokens >= 1, options.workers >= 1 else {
            throw AnalysisError.invalidOption("examplesPerNeuron, prefixTokens and workers must be at least 1")
        }
        let window = min(options.windowLength ?? arch.contextLength, arch.contextLength)
        guard window >= 1 else { throw AnalysisError.invalidOption("the window length must be at least 1") }

        let saved = Threading.threads
        if options.workers > 1 { Threading.setThreads(max(1, saved / options.workers)) }
        defer { if options.workers > 1 { Threading.setThreads(saved) } }

        let activation: ScanActivation = arch.experts == nil ? options.activation : .coefficient
        let capture = HookFilter.points(options.layers.flatMap { l in
            activation == .preActivation ? [.block(l, .mlpPre)] : coefficientPoints(model, layer: l)
        })
        var kept = TriggerTable(layers: options.layers.count, neurons: neuronCount(model), capacity: options.examplesPerNeuron)
        let clock = ContinuousClock(), start = clock.now
        var (sequences, tokens) = (0, 0)
        var current: [Int] = []                 // the sequence whose windows are being run
        var windows: [Int] = []                 // start offsets of its windows still to run
        var exhausted = false

        while true {
            // A batch of up to `workers` windows, in stream order.
            var batch: [(sequence: Int, tokens: [Int], offset: Int, ids: [Int])] = []
            while batch.count < options.workers {
                if windows.isEmpty {
                    guard !exhausted, let sequence = try next() else { exhausted = true; break }
                    sequences += 1
                    current = sequence
                    windows = Array(stride(from: 0, to: current.count, by: window))
                    for id in current where id < 0 || id >= arch.vocabSize {
                        throw AnalysisError.invalidOption("sequence \(sequences - 1) holds token \(id), outside the vocabulary (0..<\(arch.vocabSize))")
                    }
                    continue
                }
                let offset = windows.removeFirst()
                batch.append((sequences - 1, current, offset, Array(current[offset..<min(current.count, offset + window)])))
            }
            if batch.isEmpty { break }

            let maxima = Collector([Result<[WindowMaxima], Error>?](repeating: nil, count: batch.count))
            let layers = options.layers
            let ids = batch.map(\.ids)
            DispatchQueue.concurrentPerform(iterations: ids.count) { b in
                let outcome = Result { () throws -> [WindowMaxima] in
                    let cache = try model.forward(ids[b], capture: capture, logitRows: .positions([0])).cache
                    return try layers.map { l in
                        WindowMaxima(activation == .preActivation ? cache[.block(l, .mlpPre)]! : try coefficients(model, cache: cache, layer: l))
                    }
                }
                maxima.update { $0[b] = outcome }
            }
            for (b, item) in batch.enumerated() {
                let perLayer = try maxima.value[b]!.get()
                for (li, m) in perLayer.enumerated() {
                    kept.merge(layer: li, maxima: m, sequence: item.sequence, tokens: item.tokens, offset: item.offset,
                               prefixTokens: options.prefixTokens)
                }
                tokens += item.ids.count
            }
            progress?(ScanProgress(sequences: sequences, tokens: tokens, seconds: (clock.now - start).seconds))
        }
        let parameters = ["layers": options.layers.map(String.init).joined(separator: ","),
                          "examplesPerNeuron": "\(options.examplesPerNeuron)", "activation": activation.rawValue,
                          "prefixTokens": "\(options.prefixTokens)", "windowLength": "\(window)",
                          "workers": "\(options.workers)"]
        return TriggerScanResult(method: "ffn-trigger-scan", parameters: parameters,
                                 layers: options.layers.enumerated().map { LayerTriggers(layer: $1, neurons: kept.examples[$0]) },
                                 sequences: sequences, tokens: tokens, seconds: (clock.now - start).seconds)
    }

    /// `scanTriggers` over any sequence of tokenized sequences.
    public static func scanTriggers<S: Sequence>(_ model: TransformerModel, sequences: S, options: ScanOptions,
                                                 progress: ((ScanProgress) -> Void)? = nil) throws -> TriggerScanResult
    where S.Element == [Int] {
        var iterator = sequences.makeIterator()
        return try scanTriggers(model, options: options, next: { iterator.next() }, progress: progress)
    }
}
