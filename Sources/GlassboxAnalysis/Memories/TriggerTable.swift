import GlassboxTensor

/// Per neuron, the maximum over a window's positions and its first position.
struct WindowMaxima: Sendable {
    var value: [Float]
    var position: [Int32]

    /// From activations `[n, dff]`.
    init(_ activations: Tensor) {
        let (n, dff) = (activations.shape[0], activations.shape[1])
        var value = [Float](repeating: -.infinity, count: dff)
        var position = [Int32](repeating: 0, count: dff)
        activations.withUnsafeBufferPointer { a in
            for r in 0..<n {
                let row = a.baseAddress! + r * dff
                for j in 0..<dff where row[j] > value[j] {
                    value[j] = row[j]
                    position[j] = Int32(r)
                }
            }
        }
        (self.value, self.position) = (value, position)
    }
}

/// The kept examples: per layer and neuron a list sorted best first (higher activation; on ties,
/// the earlier one), with the entry bar of full lists kept contiguous for a fast reject.
struct TriggerTable {
    let capacity: Int
    var examples: [[[TriggerExample]]]
    var bars: [[Float]]

    init(layers: Int, neurons: Int, capacity: Int) {
        self.capacity = capacity
        examples = Array(repeating: Array(repeating: [], count: neurons), count: layers)
        bars = Array(repeating: Array(repeating: -.infinity, count: neurons), count: layers)
    }

    mutating func merge(layer li: Int, maxima: WindowMaxima, sequence: Int, tokens: [Int], offset: Int, prefixTokens: Int) {
        for j in 0..<maxima.value.count {
            let v = maxima.value[j]
            guard !v.isNaN, examples[li][j].count < capacity || v > bars[li][j] else { continue }
            let position = offset + Int(maxima.position[j])
            // Within one sequence (several windows) keep only its best window's maximum.
            if let same = examples[li][j].firstIndex(where: { $0.sequence == sequence }) {
                guard v > examples[li][j][same].activation else { continue }
                examples[li][j].remove(at: same)
            }
            let start = max(0, position - prefixTokens + 1)
            let example = TriggerExample(sequence: sequence, position: position, activation: v, prefixStart: start,
                                         prefix: Array(tokens[start...position]),
                                         nextToken: position + 1 < tokens.count ? tokens[position + 1] : nil)
            let at = examples[li][j].firstIndex { v > $0.activation } ?? examples[li][j].count
            examples[li][j].insert(example, at: at)
            if examples[li][j].count > capacity { examples[li][j].removeLast() }
            bars[li][j] = examples[li][j].count < capacity ? -.infinity : examples[li][j].last!.activation
        }
    }
}
