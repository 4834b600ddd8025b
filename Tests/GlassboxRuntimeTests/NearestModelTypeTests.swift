@testable import GlassboxRuntime
import XCTest

/// The unsupported-`model_type` error names the nearest supported family and how to ask for one.
final class NearestModelTypeTests: XCTestCase {
    let supported = ["bert", "distilbert", "gpt2", "gpt_neox", "llama", "mistral", "qwen2", "qwen3", "roberta", "vit"]

    func testRelativesPrefixesAndTypos() {
        let cases: [(String, String?)] = [
            ("xlm-roberta", "roberta"), ("camembert", "roberta"), ("electra", "bert"), ("mixtral", "mistral"),
            ("qwen3_moe", "qwen3"), ("qwen2_moe", "qwen2"), ("gpt_neox_japanese", "gpt_neox"), ("gpt_neo", "gpt2"),
            ("gemma3_text", "llama"), ("olmo2", "llama"), ("dinov2", "vit"), ("lama", "llama"), ("GPT2", "gpt2"),
            ("t5", nil), ("whisper", nil), ("", nil),
        ]
        for (type, expected) in cases {
            XCTAssertEqual(NearestModelType.nearest(to: type, in: supported), expected, type)
        }
    }

    func testGemmaAndOLMoRelativesOnceSupported() {
        let all = ModelRegistry.supportedModelTypes
        XCTAssertTrue(["gemma", "gemma2", "gemma3", "gemma3_text", "olmo2"].allSatisfy(all.contains))
        let cases: [(String, String?)] = [
            ("olmoe", "olmoe"), ("olmo3", "olmo2"), ("gemma3n", "gemma3"), ("olmo2", "olmo2"), ("gema2", "gemma2"),
            ("olmo", "olmo"), ("olmo_hybrid", "olmo"),   // OLMo v1 supported: olmo3 stays OLMo 2's (a longer relative prefix)
        ]
        for (type, expected) in cases {
            XCTAssertEqual(NearestModelType.nearest(to: type, in: all), expected, type)
        }
    }

    /// XLM-R and CamemBERT load now; XLM-R XL (pre-LayerNorm, another modeling file) is pointed at
    /// XLM-R, the supported name it starts with.
    func testXLMRobertaAndCamembertOnceSupported() {
        let all = ModelRegistry.supportedModelTypes
        XCTAssertTrue(["xlm-roberta", "camembert", "roberta"].allSatisfy(all.contains))
        XCTAssertEqual(NearestModelType.nearest(to: "xlm-roberta-xl", in: all), "xlm-roberta")
        XCTAssertEqual(NearestModelType.nearest(to: "camembert", in: all), "camembert")
    }

    func testTheMessageNamesTheNearestAndHowToAsk() {
        let message = LoadError.unsupportedModelType("mixtral", supported: supported).errorDescription ?? ""
        XCTAssertTrue(message.hasPrefix("model_type 'mixtral' is not supported; supported: bert, distilbert, gpt2"), message)
        XCTAssertTrue(message.contains("nearest supported: mistral"), message)
        XCTAssertTrue(message.contains("open an issue naming the checkpoint, with its config.json"), message)
        XCTAssertFalse(LoadError.unsupportedModelType("t5", supported: supported).errorDescription!.contains("nearest"))
    }

    func testEditDistance() {
        XCTAssertEqual(NearestModelType.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(NearestModelType.editDistance("", "abc"), 3)
        XCTAssertEqual(NearestModelType.editDistance("llama", "llama"), 0)
    }
}
