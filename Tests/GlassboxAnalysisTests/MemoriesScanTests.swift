import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// The corpus scan for trigger examples and the key-value agreement (Geva et al. 2021, §3–4;
/// docs/methods.md §6.2 and the agreement check of §6.5).
final class MemoriesScanTests: XCTestCase {
    /// Seeded sequences of 0…45 tokens (gpt2-tiny's context is 32, so some are run in two windows).
    private func corpus(_ count: Int, vocab: Int, seed: UInt64 = 7) -> [[Int]] {
        var state = seed
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33)
        }
        var sequences = (0..<count).map { _ in (0..<(next() % 46)).map { _ in next() % (vocab - 1) } }
        sequences[count / 3] = []                                               // an empty sequence counts
        sequences[count / 2] = (0..<45).map { _ in next() % (vocab - 1) }      // one run in two windows
        return sequences
    }

    /// The streamed, bounded scan equals a brute-force top-k over every sequence's per-neuron maxima
    /// (windows of the context length, first position on ties, earlier sequence on ties).
    func testScanEqualsBruteForce() throws {
        let model = try LensFixtures.model("gpt2-tiny")
        let sequences = corpus(14, vocab: model.architecture.vocabSize)
        XCTAssertTrue(sequences.contains { $0.isEmpty } && sequences.contains { $0.count > 32 })
        for activation in ScanActivation.allCases {
            let site: BlockSite = activation == .preActivation ? .mlpPre : .mlpPost
            let options = FFNMemories.ScanOptions(layers: [1, 0], examplesPerNeuron: 3, activation: activation, prefixTokens: 4)
            let result = try FFNMemories.scanTriggers(model, sequences: sequences, options: options)
            XCTAssertEqual(result.layers.map(\.layer), [1, 0])
            XCTAssertEqual(result.sequences, sequences.count)
            XCTAssertEqual(result.tokens, sequences.map(\.count).reduce(0, +))
            for layerTriggers in result.layers {
                // Brute force: per sequence and neuron, the max over all windows' positions.
                var best: [[(value: Float, sequence: Int, position: Int)]] = Array(repeating: [], count: model.architecture.dFF)
                for (s, ids) in sequences.enumerated() where !ids.isEmpty {
                    var maxima = [(value: Float, position: Int)](repeating: (-.infinity, 0), count: model.architecture.dFF)
                    for start in stride(from: 0, to: ids.count, by: 32) {
                        let window = Array(ids[start..<min(ids.count, start + 32)])
                        let acts = try model.forward(window, capture: .points([.block(layerTriggers.layer, site)])).cache[.block(layerTriggers.layer, site)]!
                        for p in 0..<window.count {
                            for j in 0..<acts.shape[1] where acts[p, j] > maxima[j].value { maxima[j] = (acts[p, j], start + p) }
                        }
                    }
                    for j in maxima.indices { best[j].append((maxima[j].value, s, maxima[j].position)) }
                }
                for (j, examples) in layerTriggers.neurons.enumerated() {
                    let expected = best[j].sorted { $0.value > $1.value || ($0.value == $1.value && $0.sequence < $1.sequence) }.prefix(3)
                    XCTAssertEqual(examples.map(\.sequence), expected.map(\.sequence), "\(activation) layer \(layerTriggers.layer) neuron \(j)")
                    XCTAssertEqual(examples.map(\.position), expected.map(\.position))
                    for (e, x) in zip(examples, expected) { XCTAssertEqual(e.activation, x.value, accuracy: 1e-6) }
                    for e in examples {
                        let ids = sequences[e.sequence]
                        XCTAssertEqual(e.prefix, Array(ids[e.prefixStart...e.position]))
                        XCTAssertEqual(e.prefixStart, max(0, e.position - 3))
                        XCTAssertEqual(e.nextToken, e.position + 1 < ids.count ? ids[e.position + 1] : nil)
                    }
                }
            }
        }
    }

    /// A mixture of experts (Mixtral): `E·dff` neurons, expert-major, ranked by the routed coefficient
    /// (expert `hook_post` × routing weight, whatever activation is asked): equal to a brute-force top-k
    /// over each sequence's maxima of those coefficients, read independently from the expert and
    /// routing hook points; examples of an expert never chosen in a sequence have activation 0 there.
    func testMixtureScanRanksByRoutedCoefficient() throws {
        let model = try LensFixtures.model("mixtral-moe")
        let experts = try XCTUnwrap(model.architecture.experts)
        let (dff, E, k) = (model.architecture.dFF, experts.count, experts.topK)
        let sequences = corpus(8, vocab: model.architecture.vocabSize, seed: 3).map { Array($0.prefix(40)) }
        let result = try FFNMemories.scanTriggers(model, sequences: sequences,
                                                  options: .init(layers: [1], examplesPerNeuron: 2, activation: .preActivation))
        XCTAssertEqual(result.parameters["activation"], "post")
        XCTAssertEqual(result.layers[0].neurons.count, E * dff)
        let points: [HookPoint] = (0..<E).map { .block(1, .expert($0, .post)) } + [.block(1, .expertIndices), .block(1, .routingWeights)]
        var best: [[(value: Float, sequence: Int, position: Int)]] = Array(repeating: [], count: E * dff)
        for (s, ids) in sequences.enumerated() where !ids.isEmpty {
            let cache = try model.forward(ids, capture: .points(points)).cache
            let chosen = cache[.block(1, .expertIndices)]!, weights = cache[.block(1, .routingWeights)]!
            for e in 0..<E {
                let post = cache[.block(1, .expert(e, .post))]!
                for i in 0..<dff {
                    var top: (value: Float, position: Int) = (-.infinity, 0)
                    for p in 0..<ids.count {
                        let w = (0..<k).reduce(Float(0)) { Int(chosen[p, $1]) == e ? $0 + weights[p, $1] : $0 }
                        if post[p, i] * w > top.value { top = (post[p, i] * w, p) }
                    }
                    best[e * dff + i].append((top.value, s, top.position))
                }
            }
        }
        for (j, examples) in result.layers[0].neurons.enumerated() {
            let expected = best[j].sorted { $0.value > $1.value || ($0.value == $1.value && $0.sequence < $1.sequence) }.prefix(2)
            XCTAssertEqual(examples.map(\.sequence), expected.map(\.sequence), "neuron \(j)")
            XCTAssertEqual(examples.map(\.position), expected.map(\.position), "neuron \(j)")
            for (x, y) in zip(examples, expected) { XCTAssertEqual(x.activation, y.value, accuracy: 1e-6) }
        }
    }

    /// The result does not depend on how many forward passes run at once; the thread count is restored;
    /// progress is reported after every batch with growing counts.
    func testWorkersAndProgress() throws {
        let model = try LensFixtures.model("llama-gqa")
        let sequences = corpus(9, vocab: model.architecture.vocabSize, seed: 11)
        let threads = Threading.threads
        var reports: [ScanProgress] = []
        let one = try FFNMemories.scanTriggers(model, sequences: sequences,
                                               options: .init(layers: [0, 1], examplesPerNeuron: 4, windowLength: 16, workers: 1))
        let two = try FFNMemories.scanTriggers(model, sequences: sequences,
                                               options: .init(layers: [0, 1], examplesPerNeuron: 4, windowLength: 16, workers: 2)) { reports.append($0) }
        XCTAssertEqual(Threading.threads, threads)
        XCTAssertEqual(one.layers, two.layers)
        XCTAssertEqual(one.tokens, two.tokens)
        XCTAssertEqual(two.parameters["windowLength"], "16")
        XCTAssertFalse(reports.isEmpty)
        XCTAssertEqual(reports.map(\.tokens), reports.map(\.tokens).sorted())
        XCTAssertEqual(reports.last!.tokens, sequences.map(\.count).reduce(0, +))
        XCTAssertEqual(reports.last!.sequences, sequences.count)
        XCTAssertTrue(two.layers.allSatisfy { $0.neurons.allSatisfy { $0.count <= 4 } })
    }

    func testScanErrors() throws {
        let model = try LensFixtures.model("gpt2-tiny")
        XCTAssertThrowsError(try FFNMemories.scanTriggers(model, sequences: [[1, 2]], options: .init(layers: [2])))
        XCTAssertThrowsError(try FFNMemories.scanTriggers(model, sequences: [[1, 2]], options: .init(layers: [])))
        XCTAssertThrowsError(try FFNMemories.scanTriggers(model, sequences: [[1, 2]], options: .init(layers: [0, 0])))
        XCTAssertThrowsError(try FFNMemories.scanTriggers(model, sequences: [[1, 128]], options: .init(layers: [0])))
        XCTAssertThrowsError(try FFNMemories.scanTriggers(model, sequences: [[1, 2]], options: .init(layers: [0], examplesPerNeuron: 0)))
        struct Broken: Error {}
        XCTAssertThrowsError(try FFNMemories.scanTriggers(model, options: .init(layers: [0]), next: { throw Broken() }))
        XCTAssertThrowsError(try FFNMemories.scanTriggers(try LensFixtures.model("vit-tiny"), sequences: [[1]], options: .init(layers: [0])))
    }

    /// The agreement counting on a constructed table: matches, rate, and a baseline that pairs keys
    /// with shuffled values; agreement built in (every key's triggers predict its own value) beats it.
    func testAgreementCounting() throws {
        func example(_ next: Int?) -> TriggerExample {
            TriggerExample(sequence: 0, position: 0, activation: 1, prefixStart: 0, prefix: [0], nextToken: next)
        }
        let dff = 40
        let valueTop = (0..<dff).map { [$0] }
        // Keys 0..<30 are followed by their own value's token; 30..<35 by another; 35..<40 have no next token.
        let triggers: [[TriggerExample]] = (0..<dff).map { i in
            i < 30 ? [example(i), example(i + 1000)] : i < 35 ? [example(1000 + i)] : [example(nil)]
        }
        let a = try FFNMemories.agreement(layer: 3, triggers: triggers, valueTop: valueTop, shuffles: 5, seed: 1)
        XCTAssertEqual(a.keys, 35)
        XCTAssertEqual(a.agreeing, 30)
        XCTAssertEqual(a.rate, 30 / 35, accuracy: 1e-6)
        XCTAssertEqual(a.matches[0], 1)
        XCTAssertEqual(a.matches[31], 0)
        XCTAssertGreaterThanOrEqual(a.rate, a.baselineRate)
        XCTAssertLessThan(a.baselineRate, 0.2, "a random value rarely predicts the key's next token")
        XCTAssertEqual(a, try FFNMemories.agreement(layer: 3, triggers: triggers, valueTop: valueTop, shuffles: 5, seed: 1), "seeded")
        XCTAssertThrowsError(try FFNMemories.agreement(layer: 3, triggers: triggers, valueTop: [[0]]))
    }

    /// On a real scan: rates are fractions, per-neuron matches never exceed the examples kept.
    func testAgreementOnAScan() throws {
        let model = try LensFixtures.model("gpt2-tiny")
        let scan = try FFNMemories.scanTriggers(model, sequences: corpus(30, vocab: model.architecture.vocabSize, seed: 3),
                                                options: .init(layers: [0, 1], examplesPerNeuron: 5))
        let agreement = try FFNMemories.keyValueAgreement(model, triggers: scan, valueTopK: 5, shuffles: 3)
        XCTAssertEqual(agreement.layers.map(\.layer), [0, 1])
        for (layer, triggers) in zip(agreement.layers, scan.layers) {
            XCTAssertTrue((0...1).contains(layer.rate) && (0...1).contains(layer.baselineRate))
            XCTAssertLessThanOrEqual(layer.agreeing, layer.keys)
            XCTAssertGreaterThan(layer.keys, 0)
            for (m, examples) in zip(layer.matches, triggers.neurons) { XCTAssertLessThanOrEqual(m, examples.count) }
        }
        XCTAssertEqual(agreement.parameters["valueTopK"], "5")
    }
}
