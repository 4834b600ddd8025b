import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// AtMan against its references: the straightforward PyTorch AtMan of
/// scripts/bench/reference_atman.py on the trained gpt2-copy fixture (ΔCE, Δlogit, baseline CE
/// ≤ 1e-4; suppression configs ≤ 1e-6), and — on every fixture family — the batched engine
/// against itself one perturbation at a time and against the hook path (one plain forward per
/// perturbation, no reuse), to 1e-5 relative to the logit scale.
final class AtManParityTests: XCTestCase {
    /// Every fixture with a prediction head.
    static let families = ["gpt2-tiny", "gpt2-odd", "gpt2-sharded", "gpt2-long", "gpt2-copy", "bert-cls", "bert-tiny-mlm",
                           "llama-gqa", "llama-rope-linear", "mistral-swa", "qwen2-swa", "vit-tiny"]

    /// A seeded input and a target suited to the head.
    static func problem(_ model: TransformerModel) -> (ModelInput, AtMan.Target) {
        let arch = model.architecture
        var rng = SplitMix64(seed: 5)
        if let image = arch.image { return (.pixels(rng.tensor([image.channels, image.height, image.width])), .label(2)) }
        let n = min(arch.contextLength - 1, 10)
        var ids = (0..<n).map { _ in Int(rng.next() % UInt64(arch.vocabSize)) }
        ids[n - 3] = ids[1]                                      // a repeat, for conceptual suppression
        switch arch.head {
        case .languageModel: return (.tokens(ids, types: nil), .continuation([ids[2], ids[4]]))
        case .maskedLanguageModel: return (.tokens(ids, types: nil), .token(id: ids[3], position: 3))
        default: return (.tokens(ids, types: nil), .label(1))
        }
    }

    func testBatchedEqualsOneByOneAndTheHookPathOnEveryFamily() throws {
        var variants: [AtMan.Options] = []
        var o = AtMan.Options()
        variants.append(o)                                       // f 0.1, κ 0.6, visible minimum
        o.shift = .rowMinimum; o.kappa = 0.2; o.factor = 0; o.layers = [0]
        variants.append(o)
        o.shift = .none; o.kappa = nil; o.factor = 0.5; o.layers = nil
        variants.append(o)
        for name in Self.families {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let (input, target) = Self.problem(model)
            for options in variants {
                let label = "\(name) shift \(options.shift) κ \(options.kappa.map { "\($0)" } ?? "off") f \(options.factor)"
                let batched = try AtMan.explain(model, input, target: target, options: options)
                var single = options
                single.rowBudget = 1
                let oneByOne = try AtMan.explain(model, input, target: target, options: single)
                var simple = options
                simple.engine = .hooks
                let hooks = try AtMan.explain(model, input, target: target, options: simple)
                XCTAssertEqual(batched.suppressions, hooks.suppressions, label)
                let scale = try Self.logitScale(model, input, target)
                Self.assertMatrixClose(batched.perTarget, oneByOne.perTarget, 1e-5 * scale, "\(label): batched vs one by one")
                Self.assertMatrixClose(batched.perTarget, hooks.perTarget, 1e-5 * scale, "\(label): batched vs hooks")
                XCTAssertGreaterThan(batched.groupScores.map(abs).max() ?? 0, 1e-3, "\(label): something matters")
            }
        }
    }

    func testParityWithThePyTorchReference() throws {
        let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/atman/gpt2-copy")
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-copy"))
        let cases = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(cases.count, 6)
        for file in cases {
            let reference = try SafetensorsFile(url: folder.appendingPathComponent(file))
            let meta = reference.metadata
            func json<T>(_ key: String) throws -> T { try XCTUnwrap(JSONSerialization.jsonObject(with: Data(meta[key]!.utf8)) as? T) }
            let prompt: [Int] = try json("prompt"), targets: [Int] = try json("targets")
            let opts: [String: Any] = try json("options"), configs: [[String: Any]] = try json("configs")
            var options = AtMan.Options()
            options.factor = Float(opts["factor"] as! Double)
            options.kappa = (opts["kappa"] as? Double).map { Float($0) }
            options.scaleFactorBySimilarity = opts["scaled"] as! Bool
            options.shift = ["row": .rowMinimum, "visible": .visibleMinimum, "none": .none][opts["shift"] as! String]!
            options.layers = opts["layers"] as? [Int]
            options.temperature = (opts["temperature"] as? Double).map { Float($0) }
            let groups = opts["groups"] as? [[Int]]
            let ce = try AtMan.explain(model, .tokens(prompt, types: nil), target: .continuation(targets),
                                       groups: groups, options: options)
            XCTAssertEqual(ce.inputIDs, try json("input_ids") as [Int], file)
            XCTAssertEqual(ce.targetPositions, try json("rows") as [Int], file)
            for (s, c) in zip(ce.suppressions, configs) {
                XCTAssertEqual(s.keys, c["keys"] as? [Int], "\(file) group \(s.group)")
                let f = (c["factors"] as! [Double]).map { Float($0) }
                XCTAssertTrue(zip(s.factors, f).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(file) group \(s.group): \(s.factors) vs \(f)")
            }
            Self.assertMatrixClose(ce.perTarget, try Self.matrix(reference.tensor("delta_ce")), 1e-4, "\(file) ΔCE")
            assertClose(Tensor(shape: [targets.count], storage: ce.baseline), try reference.tensor("base_ce"), tolerance: 1e-4, "\(file) base CE")
            options.score = .logit
            let logit = try AtMan.explain(model, .tokens(prompt, types: nil), target: .continuation(targets),
                                          groups: groups, options: options)
            Self.assertMatrixClose(logit.perTarget, try Self.matrix(reference.tensor("delta_logit")), 1e-4, "\(file) Δlogit")
            assertClose(Tensor(shape: [targets.count], storage: logit.baseline), try reference.tensor("base_logit"), tolerance: 1e-4, "\(file) base logit")
        }
    }

    // MARK: - Helpers

    static func matrix(_ t: Tensor) -> [[Float]] { (0..<t.shape[0]).map { t.row($0).storage } }

    static func assertMatrixClose(_ a: [[Float]], _ b: [[Float]], _ tolerance: Float, _ label: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.map(\.count), b.map(\.count), label, file: file, line: line)
        let flatA = a.flatMap { $0 }, flatB = b.flatMap { $0 }
        guard flatA.count == flatB.count, !flatA.isEmpty else { return }
        GlassboxTestSupport.assertClose(Tensor(shape: [a.count, flatA.count / a.count], storage: flatA),
                                        Tensor(shape: [b.count, flatB.count / b.count], storage: flatB),
                                        tolerance: tolerance, label, file: file, line: line)
    }

    /// max(1, max |logit|) of the unperturbed pass at the scored rows.
    static func logitScale(_ model: TransformerModel, _ input: ModelInput, _ target: AtMan.Target) throws -> Float {
        var run = input, rows = [0]
        switch target {
        case .continuation(let t):
            if case .tokens(let ids, _) = input {
                run = .tokens(ids + t.dropLast(), types: nil)
                rows = Array((ids.count - 1)..<(ids.count - 1 + t.count))
            }
        case .token(_, let p): rows = [p]
        case .label: break
        }
        let logits = try model.forward(run, logitRows: .positions(rows)).logits!
        return max(1, logits.storage.map(abs).max() ?? 0)
    }
}
