import GlassboxRuntime
import GlassboxTensor

/// The key-value agreement of one layer.
public struct LayerAgreement: Sendable, Equatable, Codable {
    /// Index of the layer, 0-based.
    public let layer: Int
    /// Neurons with at least one trigger example that has a next token.
    public let keys: Int
    /// Of those, how many have a trigger whose next token is among their value's top tokens.
    public let agreeing: Int
    /// `agreeing / keys` (0 when `keys` is 0).
    public let rate: Float
    /// The same rate with values shuffled across the layer's keys, averaged over the shuffles.
    public let baselineRate: Float
    /// `[dff]`: per neuron, how many of its trigger examples agree (Geva et al.'s `target_count`).
    public let matches: [Int]
}

/// Key-value agreement over the scanned layers.
public struct KeyValueAgreement: Sendable, Equatable, Codable {
    /// `"ffn-key-value-agreement"`.
    public let method: String
    /// Provenance: valueTopK, shuffles, seed, filter and embedding choice.
    public let parameters: [String: String]
    /// One entry per scanned layer, in the scan's order.
    public let layers: [LayerAgreement]
}

extension FFNMemories {
    /// Key-value agreement (Geva et al., EMNLP 2021, §4, `ff-layers/analysis/key_value_agreement.py`):
    /// a key agrees when one of its trigger examples is followed by its value's top-1 token
    /// (`argmax E·v_i`); the rate is the share of keys that agree. The baseline pairs each key with
    /// the value of another neuron of the same layer (a seeded random permutation), as the paper's
    /// and Vilas et al.'s random baselines do.
    ///
    /// - Parameters:
    ///   - valueTopK: how many of the value's top tokens count as a match (1 in the paper).
    ///   - shuffles: permutations averaged for the baseline.
    public static func keyValueAgreement(_ model: TransformerModel, triggers: TriggerScanResult, valueTopK: Int = 1,
                                         shuffles: Int = 1, seed: UInt64 = 0xdead, filter: TokenFilter = .all,
                                         embedding: EmbeddingChoice = .standard) throws -> KeyValueAgreement {
        guard valueTopK >= 1, shuffles >= 1 else { throw AnalysisError.invalidOption("valueTopK and shuffles must be at least 1") }
        var layers: [LayerAgreement] = []
        for triggersOfLayer in triggers.layers {
            let values = try ParameterProjection.ffnValues(model, layer: triggersOfLayer.layer, k: valueTopK, filter: filter,
                                                           embedding: embedding)
            layers.append(try agreement(layer: triggersOfLayer.layer, triggers: triggersOfLayer.neurons,
                                    valueTop: values.map { $0.top.map(\.id) }, shuffles: shuffles,
                                    seed: seed &+ UInt64(triggersOfLayer.layer)))
        }
        return KeyValueAgreement(method: "ffn-key-value-agreement",
                                 parameters: ["valueTopK": "\(valueTopK)", "shuffles": "\(shuffles)", "seed": "\(seed)",
                                              "filter": filter.label, "embedding": embedding.rawValue],
                                 layers: layers)
    }

    /// The counting behind `keyValueAgreement`, on given value top tokens (`valueTop[i]` for neuron `i`).
    public static func agreement(layer: Int, triggers: [[TriggerExample]], valueTop: [[Int]], shuffles: Int = 1,
                                 seed: UInt64 = 0xdead) throws -> LayerAgreement {
        let dff = triggers.count
        guard valueTop.count == dff else {
            throw AnalysisError.invalidOption("layer \(layer): value tokens for \(valueTop.count) neurons but triggers for \(dff) (a scan of another model?)")
        }
        let nextTokens = triggers.map { $0.compactMap(\.nextToken) }
        let candidates = (0..<dff).filter { !nextTokens[$0].isEmpty }
        func count(_ i: Int, value: Int) -> Int {
            let top = Set(valueTop[value])
            return nextTokens[i].filter { top.contains($0) }.count
        }
        let matches = (0..<dff).map { count($0, value: $0) }
        let agreeing = candidates.filter { matches[$0] > 0 }.count
        var rng = SplitMix64(seed: seed)
        var baseline = 0.0
        for _ in 0..<shuffles {
            var permutation = Array(0..<dff)
            for i in stride(from: dff - 1, to: 0, by: -1) { permutation.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            baseline += Double(candidates.filter { count($0, value: permutation[$0]) > 0 }.count)
        }
        let keys = candidates.count
        return LayerAgreement(layer: layer, keys: keys, agreeing: agreeing,
                              rate: keys > 0 ? Float(agreeing) / Float(keys) : 0,
                              baselineRate: keys > 0 ? Float(baseline / Double(shuffles) / Double(keys)) : 0,
                              matches: matches)
    }
}
