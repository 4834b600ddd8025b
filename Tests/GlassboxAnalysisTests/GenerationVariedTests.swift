import Foundation
import GlassboxTestSupport
import XCTest

/// Second greedy-generation cases for the models whose first case (Tests/Fixtures/generation/) says
/// little — at most 2 distinct ids in its output, or a step's margin below 1e-3 —
/// from scripts/fixtures/generate_generation_varied.py: transformers' `generate(do_sample=False)` from
/// the first of 256 seeded prompts whose continuation has at least 5 distinct ids and every margin at
/// least 1e-3 (else the most varied such prompt). Glassbox's greedy decoding with the KV cache must
/// give the same ids and margins within 1e-4 · max(1, |margin|) (GenerationTests.checkGreedy).
final class GenerationVariedTests: XCTestCase {
    static let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/generation-varied")
    static let models = ["gpt2-tiny", "gpt2-sharded", "gpt2-copy", "qwen3-qknorm", "gemma-tiny",
                         "gemma2-softcap", "gemma3-text", "qwen2-longrope", "gemma-rope-dynamic", "gemma2-rope-linear",
                         "phi-qknorm", "gptj-whole", "falcon-mq", "falcon-seq", "bloom-tiny",
                         "bigcode-mq", "granite-tiny", "stablelm-par", "cohere-tiny", "olmoe-norm",
                         "starcoder2-tiny", "olmo-clip", "olmoe-clip", "glm4-tiny", "granitemoe-tiny",
                         "nemotron-tiny", "helium-bias", "mpt-tiny", "codegen-wide"]

    struct Case: Decodable {
        let output_ids: [Int]
        let margins: [Float]
    }

    func testGreedyEqualsTransformersGenerate() throws {
        var largest: Float = 0
        for name in Self.models {
            largest = max(largest, try GenerationTests.checkGreedy(name, folder: Self.folder))
        }
        print("second generation cases: \(Self.models.count) models, largest |Δ margin| / max(1, |margin|) \(largest)")
    }

    /// Every weak first case has a second case, and the second case is a different prompt's.
    func testEveryWeakFirstCaseHasASecondCase() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: GenerationTests.folder.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertEqual(files.count, GenerationTests.families.count, "generation references")
        var weak: [String] = []
        for file in files {
            let data = try Data(contentsOf: GenerationTests.folder.appendingPathComponent(file))
            let first = try JSONDecoder().decode(Case.self, from: data)
            if Set(first.output_ids).count <= 2 || (first.margins.min() ?? 0) < 1e-3 {
                weak.append(String(file.dropLast(".json".count)))
            }
        }
        XCTAssertEqual(weak, Self.models.sorted(), "the weak first cases are the models with a second case")
        for name in Self.models {
            let first = try JSONDecoder().decode(GenerationTests.Reference.self,
                                                 from: Data(contentsOf: GenerationTests.folder.appendingPathComponent("\(name).json")))
            let second = try JSONDecoder().decode(GenerationTests.Reference.self,
                                                  from: Data(contentsOf: Self.folder.appendingPathComponent("\(name).json")))
            XCTAssertNotEqual(first.prompt_ids, second.prompt_ids, name)
            XCTAssertGreaterThanOrEqual(second.margins.min() ?? 0, 1e-3, "\(name): a margin below 1e-3")
        }
    }
}
