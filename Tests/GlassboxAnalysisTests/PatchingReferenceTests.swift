import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Activation patching against plain PyTorch: scripts/fixtures/generate_patching.py patches the
/// Hugging Face modules of the GPT-2, Llama (GQA, RoPE) and BERT masked-LM fixtures with forward
/// hooks (no Glassbox code) and records the raw metric of every patched run; Glassbox's batched
/// engine must match every map within 1e-4 · max(1, |M_clean|, |M_corrupted|), and so must the
/// unpatched metrics. Every tensor the test expects must be in the file (a missing one fails).
final class PatchingReferenceTests: XCTestCase {
    static let models = ["gpt2-tiny", "llama-gqa", "bert-tiny-mlm"]
    static let tolerance: Float = 1e-4
    static let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/patching")

    /// `(direction, metric name, site)` of every map the generator writes.
    static var plan: [(PatchingDirection, String, PatchingSiteKind)] {
        let exact: [PatchingSiteKind] = [.residPre, .attnOut, .mlpOut, .z, .zByPosition, .q, .k, .v]
        return exact.map { (.denoise, "logit_diff", $0) }
            + exact.filter { $0 != .zByPosition }.map { (.noise, "logit_diff", $0) }
            + ["logprob", "prob", "kl"].flatMap { m in [PatchingSiteKind.residPre, .z].map { (.denoise, m, $0) } }
    }

    func testEverySiteMatchesPyTorchForwardHooks() throws {
        for name in Self.models {
            let url = Self.folder.appendingPathComponent("\(name).safetensors")
            guard FileManager.default.fileExists(atPath: url.path) else {
                XCTFail("no patching reference \(url.path) (run scripts/fixtures/generate_patching.py)")
                continue
            }
            let file = try SafetensorsFile(url: url)
            func meta<T>(_ key: String) throws -> T {
                let text = try XCTUnwrap(file.metadata[key], "\(name): no metadata '\(key)'")
                return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) as? T,
                                     "\(name): metadata '\(key)' is \(text)")
            }
            func tensor(_ key: String) throws -> Tensor {
                guard file.entry(key) != nil else {
                    throw Missing(description: "\(name): the reference has no tensor '\(key)' (it has \(file.tensorNames))")
                }
                return try file.tensor(key)
            }
            let clean: [Int] = try meta("clean"), corrupted: [Int] = try meta("corrupted")
            let position: Int = try meta("position"), answer: Int = try meta("answer"), wrong: Int = try meta("wrong")
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let metrics: [String: PatchingMetric] = ["logit_diff": .logitDiff(answer: answer, wrong: wrong),
                                                     "logprob": .logProb(answer: answer), "prob": .prob(answer: answer), "kl": .kl]
            var checked = 0, largest: Float = 0
            for direction in PatchingDirection.allCases {
                for (metricName, metric) in metrics.sorted(by: { $0.key < $1.key }) {
                    let kinds = Self.plan.filter { $0.0 == direction && $0.1 == metricName }.map(\.2)
                    guard !kinds.isEmpty else { continue }
                    var options = PatchingOptions(metric: metric)
                    options.direction = direction
                    options.position = position
                    options.sites = kinds
                    let result = try ActivationPatching.run(model, clean: clean, corrupted: corrupted, options: options)
                    let mc = try tensor("clean.\(metricName)").storage[0], mr = try tensor("corrupted.\(metricName)").storage[0]
                    let scale = max(1, abs(mc), abs(mr))
                    let label = "\(name) \(direction) \(metricName)"
                    XCTAssertEqual(result.cleanMetric, mc, accuracy: Self.tolerance * scale, "\(label): clean metric")
                    XCTAssertEqual(result.corruptedMetric, mr, accuracy: Self.tolerance * scale, "\(label): corrupted metric")
                    for kind in kinds {
                        let key = "\(direction).\(metricName).\(kind.rawValue)"
                        let expected = try tensor(key)
                        let map = try XCTUnwrap(result.map(kind), key)
                        XCTAssertEqual(map.shape, expected.shape, "\(name) \(key): shape")
                        var worst = (index: 0, diff: Float(0))
                        for (i, (a, b)) in zip(map.raw, expected.storage).enumerated() where !(abs(a - b) <= worst.diff) {
                            worst = (i, abs(a - b).isNaN ? .infinity : abs(a - b))
                        }
                        XCTAssertLessThanOrEqual(worst.diff, Self.tolerance * scale,
                                                 "\(name) \(key): max |diff| at \(worst.index): \(map.raw[worst.index]) vs \(expected.storage[worst.index])")
                        let spread = (expected.storage.max() ?? 0) - (expected.storage.min() ?? 0)
                        XCTAssertGreaterThan(spread, 1e-4, "\(name) \(key): the reference map is flat; it checks nothing")
                        checked += 1
                        largest = max(largest, worst.diff / scale)
                    }
                }
            }
            XCTAssertEqual(checked, Self.plan.count, "\(name): maps checked")
            print("patching reference \(name): \(checked) maps, largest |diff| / scale \(largest)")
        }
    }

    struct Missing: LocalizedError, CustomStringConvertible {
        let description: String
        var errorDescription: String? { description }
    }
}
