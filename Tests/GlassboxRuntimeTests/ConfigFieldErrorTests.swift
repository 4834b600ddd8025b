import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// config.json errors name the field that is wrong, with the value as written, and are found
/// quickly however many other numbers the config holds.
final class ConfigFieldErrorTests: XCTestCase {
    /// A copy of fixture `model` whose `file` is `edit` of its own text.
    private func model(_ model: String, file: String = "config.json", _ edit: (String) -> String) throws -> URL {
        try Fixtures.textEditedCopy(of: model, test: self, file: file, edit)
    }

    /// The load error's text, or a failure when the load succeeds.
    private func loadError(_ folder: URL, line: UInt = #line) -> String {
        do {
            _ = try TransformerModel.load(directory: folder)
            XCTFail("loaded", line: line)
            return ""
        } catch {
            return error.localizedDescription
        }
    }

    /// One integer field holding 1.5 among 20,000 fractional numbers: the field is found in a few
    /// decodes (before, one decode per fractional number: 2,000 took 14 s, 20,000 minutes).
    func testABadIntegerAmongManyFractionsIsFoundQuickly() throws {
        let fractions = (0..<20_000).map { "\"f\($0)\": 0.5, " }.joined()
        let folder = try model("gpt2-tiny") {
            $0.replacingOccurrences(of: "{", with: "{" + fractions).replacingOccurrences(of: "\"n_layer\": 2", with: "\"n_layer\": 1.5")
        }
        let start = Date()
        let message = loadError(folder)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertTrue(message.hasSuffix("config.json is not a valid config: 'n_layer' should be an integer, got 1.5"), message)
        XCTAssertLessThan(seconds, 1.0, "finding the field took \(seconds) s")
    }

    /// A number that rounds to 0 is named with its own field (before: 'attn_pdrop', whose
    /// replacement happened to let the decode pass).
    func testAnUnderflowingNumberNamesItsField() throws {
        let folder = try model("gpt2-tiny") { $0.replacingOccurrences(of: "\"layer_norm_epsilon\": 1e-05", with: "\"layer_norm_epsilon\": 1e-400") }
        let message = loadError(folder)
        XCTAssertTrue(message.hasSuffix("config.json is not a valid config: 'layer_norm_epsilon' is 1e-400, which rounds to 0 in a 32-bit float"),
                      message)
    }

    /// An odd head width is blamed on head_dim (given, or derived from hidden_size and
    /// num_attention_heads), not on partial_rotary_factor, which the file does not hold.
    func testAnOddHeadDimNamesHeadDim() throws {
        for value in ["7", "2147483647"] {
            let folder = try model("llama-gqa") { $0.replacingOccurrences(of: "\"head_dim\": 8", with: "\"head_dim\": \(value)") }
            let message = loadError(folder)
            XCTAssertTrue(message.hasSuffix("config.json: 'head_dim' is \(value), an odd number: rotary embeddings turn pairs of dimensions, so it must be even"),
                          message)
        }
        let derived = try model("llama-gqa") {
            $0.replacingOccurrences(of: "\"head_dim\": 8,", with: "").replacingOccurrences(of: "\"hidden_size\": 32", with: "\"hidden_size\": 28")
        }
        let message = loadError(derived)
        XCTAssertTrue(message.hasSuffix("'head_dim' (hidden_size / num_attention_heads = 28 / 4) is 7, an odd number: rotary embeddings turn pairs of dimensions, so it must be even"),
                      message)
    }

    /// What Python's json reads and Foundation refuses (NaN, ±Infinity, 1e400, a lone surrogate
    /// escape in a key) loads in a field Glassbox does not read, with the original prediction, as
    /// transformers loads it (before: "not valid JSON").
    func testPythonOnlyLiteralsInUnusedFieldsLoad() throws {
        let reference = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny")).forward([1, 2, 3]).logits!
        for literal in ["NaN", "Infinity", "-Infinity", "1e400"] {
            let folder = try model("gpt2-tiny") { $0.replacingOccurrences(of: "\"initializer_range\": 0.02", with: "\"initializer_range\": \(literal)") }
            let logits = try TransformerModel.load(directory: folder).forward([1, 2, 3]).logits!
            XCTAssertEqual(logits.storage, reference.storage, literal)
        }
        let surrogate = try model("gpt2-tiny") { $0.replacingOccurrences(of: "{", with: #"{"\ud800": 1, "x": "\udc00\ud83d\ude00", "#) }
        XCTAssertEqual(try TransformerModel.load(directory: surrogate).forward([1, 2, 3]).logits!.storage, reference.storage)
        let index = try model("gpt2-sharded", file: "model.safetensors.index.json") {
            $0.replacingOccurrences(of: "\"total_size\": 173184", with: "\"total_size\": NaN")
        }
        XCTAssertNoThrow(try TransformerModel.load(directory: index))
    }

    /// The same literals in a field Glassbox reads are our own one-line error naming the file and
    /// the field, never Foundation's text ("Number 1e400 is not representable in Swift.").
    func testPythonOnlyLiteralsInUsedFieldsNameTheField() throws {
        for (literal, python) in [("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf"), ("1e400", "inf")] {
            let folder = try model("gpt2-tiny") { $0.replacingOccurrences(of: "\"layer_norm_epsilon\": 1e-05", with: "\"layer_norm_epsilon\": \(literal)") }
            let message = loadError(folder)
            XCTAssertTrue(message.hasSuffix("config.json: 'layer_norm_epsilon' is \(literal), which Python reads as \(python): a finite number is needed here"),
                          message)
        }
        for literal in ["NaN", "1e400"] {
            let folder = try model("vit-tiny", file: "preprocessor_config.json") { $0.replacingOccurrences(of: "\"image_mean\": [\n    0.5", with: "\"image_mean\": [\n    \(literal)") }
            XCTAssertThrowsError(try ImagePreprocessor.load(directory: folder)) { error in
                let message = error.localizedDescription
                XCTAssertTrue(message.contains("preprocessor_config.json") && message.contains("image_mean"), message)
                XCTAssertFalse(message.contains("representable") || message.contains("around character"), message)
            }
        }
    }

    /// JSON that Python refuses too is "not valid JSON" with the place, in our own words.
    func testInvalidJSONIsPlacedInOurOwnWords() throws {
        let config = try model("gpt2-tiny") { $0.replacingOccurrences(of: "{", with: "{ nope\n") }
        XCTAssertTrue(loadError(config).hasSuffix("config.json is not a valid config: not valid JSON at line 1, column 3"), loadError(config))
        let preprocessor = try model("vit-tiny", file: "preprocessor_config.json") { $0 + "garbage" }
        XCTAssertThrowsError(try ImagePreprocessor.load(directory: preprocessor)) { error in
            XCTAssertTrue(error.localizedDescription.hasSuffix("preprocessor_config.json: is not valid JSON at line 24, column 1"), error.localizedDescription)
        }
        let index = try model("gpt2-sharded", file: "model.safetensors.index.json") { $0.replacingOccurrences(of: "{", with: "{,") }
        XCTAssertTrue(loadError(index).contains("model.safetensors.index.json': malformed sharded-checkpoint index: not valid JSON at line 1, column 2;"), loadError(index))
    }

    /// A layer count written as a float is refused, as transformers refuses it (TypeError in
    /// range()), with one line saying how to write it (before: loaded as 2 layers).
    func testAFloatLayerCountIsRefused() throws {
        for text in ["2.0", "2e0"] {
            let folder = try model("gpt2-tiny") { $0.replacingOccurrences(of: "\"n_layer\": 2", with: "\"n_layer\": \(text)") }
            XCTAssertTrue(loadError(folder).hasSuffix("config.json: 'n_layer' should be an integer, got \(text) (transformers refuses a float here too: write it without a fraction or exponent)"),
                          loadError(folder))
        }
    }

    /// llama3 rope_scaling's original_max_position_embeddings is a length read exactly, not via a
    /// Float (before: 2147483647 was refused as "got 2147483648").
    func testALlama3OriginalLengthIsReadExactly() throws {
        let folder = try model("llama3-rope") {
            $0.replacingOccurrences(of: "\"original_max_position_embeddings\": 256", with: "\"original_max_position_embeddings\": 2147483647")
        }
        XCTAssertNoThrow(try TransformerModel.load(directory: folder).forward([1, 2, 3]))
    }

    /// Phi-3 with original_max_position_embeddings 1 (so a LongRoPE factor of max/1) is a config
    /// error naming the field and why (before: NaN in the forward pass; transformers: ZeroDivisionError).
    func testAPhi3OriginalLengthOfOneIsAConfigError() throws {
        let folder = try model("phi3-longrope") {
            $0.replacingOccurrences(of: "\"original_max_position_embeddings\": 8", with: "\"original_max_position_embeddings\": 1")
        }
        XCTAssertTrue(loadError(folder).contains("config.json: 'original_max_position_embeddings' is 1 while the LongRoPE factor is 32: the attention factor √(1 + ln factor / ln original_max_position_embeddings) divides by ln 1 = 0"),
                      loadError(folder))
    }
}
