import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// The float64 numpy references of scripts/fixtures/generate_lens.py (Tests/Fixtures/lens) and the
/// golden inputs they were computed on.
enum LensFixtures {
    static let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/lens")
    static let models = ["bert-odd", "bert-tiny-mlm", "gpt2-odd", "gpt2-tiny", "llama-gqa", "neox-parallel", "neox-sequential",
                         "qwen2-swa", "qwen3-qknorm", "vit-tiny", "phi3-longrope", "mixtral-moe",
                         "roberta-mlm", "distilbert-mlm", "gemma-tiny", "gemma2-softcap", "gemma3-text", "olmo2-postnorm", "gemma3-mm",
                         "phi-tiny", "phi-qknorm", "xlmr-mlm", "camembert-mlm", "gptj-tiny", "gptj-whole", "falcon-mq", "falcon-newarch", "falcon-seq",
                         "gptneo-tiny", "gptneo-local", "bloom-tiny", "bloom-odd",
                         "opt-tiny", "opt-post", "opt-proj", "qwen2moe-tiny", "qwen3moe-tiny",
                         "bigcode-mq", "bigcode-mha",
                         "granite-tiny", "granite-bias",
                         "stablelm-tiny", "stablelm-par",
                         "cohere-tiny", "cohere-qknorm",
                         "olmoe-tiny", "olmoe-norm",
                         "starcoder2-tiny", "starcoder2-nobias",
                         "olmo-tiny", "olmo-clip",
                         "smollm3-tiny", "smollm3-swa",
                         "cohere2-tiny", "cohere2-types",
                         "olmoe-clip",
                         "glm-tiny", "glm4-tiny",
                         "granitemoe-tiny", "granitemoe-shared",
                         "arcee-tiny",
                         "nemotron-tiny", "nemotron-bias",
                         "helium-tiny", "helium-bias",
                         "mpt-tiny", "mpt-bias",
                         "codegen-tiny", "codegen-wide",
                         "modernbert-tiny", "modernbert-bias",
                         "phimoe-tiny", "phimoe-plain"]

    static func model(_ name: String) throws -> TransformerModel {
        try TransformerModel.load(directory: Fixtures.model(name))
    }

    /// `(case, reference, input)` for every lens case of a model.
    static func cases(_ name: String) throws -> [(name: String, reference: SafetensorsFile, input: ModelInput)] {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(name).path)
            .filter { $0.hasSuffix(".safetensors") && $0 != "params.safetensors" }.sorted()
        return try files.map { file in
            let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("\(name)/\(file)"))
            let input: ModelInput = golden.file.entry("pixel_values") != nil
                ? .pixels(try golden.tensor("pixel_values")) : .tokens(golden.inputIDs, types: nil)
            return (String(file.dropLast(".safetensors".count)),
                    try SafetensorsFile(url: folder.appendingPathComponent("\(name)/\(file)")), input)
        }
    }

    static func params(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(url: folder.appendingPathComponent("\(name)/params.safetensors"))
    }

    /// A model input of plain token ids.
    static func tokens(_ ids: [Int]) -> ModelInput { .tokens(ids, types: nil) }

    /// Row `i` of a `[rows, cols]` (or `[a, rows, cols]` flattened) tensor as a vector tensor.
    static func vector(_ t: Tensor) -> Tensor { t.reshaped([t.count]) }

    /// Asserts that a ranked list matches a reference ranking: scores rank by rank within `tolerance`,
    /// and ids equal wherever the reference's neighbouring scores are more than `tolerance` apart
    /// (near-ties may swap between float64 and float32).
    static func assertRanking(_ ids: [Int], _ scores: [Float], expectedIDs: [Int], expectedScores: [Float],
                              tolerance: Float, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(ids.count, expectedIDs.count, "\(label): length", file: file, line: line)
        for i in 0..<min(ids.count, expectedIDs.count) {
            XCTAssertEqual(scores[i], expectedScores[i], accuracy: tolerance, "\(label): score at rank \(i)", file: file, line: line)
            let gapBefore = i > 0 ? expectedScores[i - 1] - expectedScores[i] : .infinity
            let gapAfter = i + 1 < expectedScores.count ? expectedScores[i] - expectedScores[i + 1] : .infinity
            if min(gapBefore, gapAfter) > tolerance {
                XCTAssertEqual(ids[i], expectedIDs[i], "\(label): id at rank \(i)", file: file, line: line)
            }
        }
    }
}
