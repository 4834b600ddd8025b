import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The two bundled default models (Sources/GlassboxDefaults/Models) against what `transformers`
/// and `tokenizers` compute with them (Tests/Fixtures/bundled/*.json, written by
/// scripts/train/bundled_goldens.py): token ids and byte offsets exactly, last-position logits
/// and class logits at max |Δ| ≤ 1e-4 (float16 weights, float32 compute on both sides), and the
/// sample digits classified as their file names say.
final class BundledModelTests: XCTestCase {
    private struct LMGoldens: Decodable {
        struct Case: Decodable { let text: String; let ids: [Int]; let offsets: [[Int]]; let top5: [Int]; let logits: [Float] }
        let cases: [Case]
    }
    private struct ViTGoldens: Decodable {
        struct Case: Decodable { let file: String; let label: Int; let predicted: Int; let logits: [Float] }
        let cases: [Case]
    }

    private func goldens<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/bundled/\(name).json")
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }

    func testBundledModelsAreFound() throws {
        for model in BundledModel.allCases {
            let folder = try XCTUnwrap(model.directory, "\(model.rawValue) not found")
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("training.json").path))
        }
        XCTAssertEqual(BundledModel.named("digits-vit"), .digitsViT)
        XCTAssertNil(BundledModel.named("gpt2"))
    }

    func testShakespeareGPT2MatchesTransformers() throws {
        let context = try ModelContext.load(.shakespeareGPT2)
        XCTAssertEqual(context.architecture.modelType, "gpt2")
        XCTAssertGreaterThanOrEqual(context.architecture.layers, 2)
        let golden = try goldens("shakespeare-gpt2", as: LMGoldens.self)
        XCTAssertGreaterThanOrEqual(golden.cases.count, 3)
        for c in golden.cases {
            let encoding = try context.encode(c.text)
            XCTAssertEqual(encoding.ids, c.ids, c.text)
            XCTAssertEqual(encoding.offsets.map { [$0.start, $0.end] }, c.offsets, c.text)
            let run = try context.model.forward(try context.input(c.text), logitRows: .positions([c.ids.count - 1]))
            let logits = try XCTUnwrap(run.logits)
            let ours = (0..<logits.shape[1]).map { logits[0, $0] }
            XCTAssertEqual(ours.count, c.logits.count)
            let worst = zip(ours, c.logits).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst, 1e-4, "\(c.text): max |Δlogit| \(worst)")
            let top = ours.indices.sorted { ours[$0] > ours[$1] }.prefix(1)
            XCTAssertEqual(Array(top), [c.top5[0]], c.text)
        }
    }

    func testDigitsViTMatchesTransformersAndReadsTheSamples() throws {
        let context = try ModelContext.load(.digitsViT)
        XCTAssertEqual(context.architecture.modelType, "vit")
        let golden = try goldens("digits-vit", as: ViTGoldens.self)
        XCTAssertEqual(golden.cases.count, 10)
        for c in golden.cases {
            let url = Fixtures.root.appendingPathComponent(c.file)
            let run = try context.model.forward(try context.input(image: url))
            let logits = try XCTUnwrap(run.logits)
            let ours = (0..<logits.shape[1]).map { logits[0, $0] }
            let worst = zip(ours, c.logits).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst, 1e-4, "\(c.file): max |Δlogit| \(worst)")
            let predicted = ours.indices.max { ours[$0] < ours[$1] }
            XCTAssertEqual(predicted, c.label, c.file)
            XCTAssertEqual(context.label(c.label), "\(c.label)", "class label of \(c.label)")
        }
    }
}
