import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// GPT-2's `attribute_map` aliases (`hidden_size`, `max_position_embeddings`,
/// `num_attention_heads`, `num_hidden_layers`) are set by `PretrainedConfig` after `GPT2Config`'s
/// own `n_embd`, `n_positions`, `n_head`, `n_layer`, so transformers builds the model the aliases
/// describe. Glassbox read only the own keys (the aliases' values were ignored, and the layer-count
/// check refused the alias pair against the checkpoint).
final class GPT2ConfigAliasTests: XCTestCase {
    /// gpt2-tiny's folder with its config.json text edited by `edit` (which must change it).
    private func folder(_ edit: (String) -> String) throws -> URL {
        try Fixtures.textEditedCopy(of: "gpt2-tiny", test: self, edit)
    }

    /// Wrong own keys beside right aliases load the checkpoint's model: the same logits.
    func testAliasesWinOverTheOwnKeys() throws {
        let ids = [3, 17, 42, 9, 100]
        let original = try XCTUnwrap(TransformerModel.load(directory: Fixtures.model("gpt2-tiny")).forward(ids).logits)
        let aliased = try folder { config in
            config.replacingOccurrences(of: #""n_embd": 32"#, with: #""n_embd": 7, "hidden_size": 32"#)
                .replacingOccurrences(of: #""n_head": 4"#, with: #""n_head": 3, "num_attention_heads": 4"#)
                .replacingOccurrences(of: #""n_layer": 2"#, with: #""n_layer": 5, "num_hidden_layers": 2"#)
                .replacingOccurrences(of: #""n_positions": 32"#, with: #""n_positions": 8, "max_position_embeddings": 32"#)
        }
        let model = try TransformerModel.load(directory: aliased)
        XCTAssertEqual(model.architecture.contextLength, 32)
        XCTAssertEqual(try XCTUnwrap(model.forward(ids).logits).storage, original.storage)
    }

    /// A `null` alias is what transformers then reads (TypeError): refused, naming the alias.
    func testANullAliasIsRefusedByName() throws {
        let nulled = try folder { $0.replacingOccurrences(of: #""n_head": 4"#, with: #""n_head": 4, "num_attention_heads": null"#) }
        XCTAssertThrowsError(try TransformerModel.load(directory: nulled)) { error in
            XCTAssertTrue(error.localizedDescription.contains("'num_attention_heads' is null"), error.localizedDescription)
        }
    }
}
