import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// DistilBERT's `attribute_map` aliases (`hidden_size`, `num_attention_heads`, `num_hidden_layers`)
/// are set by `PretrainedConfig` after `DistilBertConfig`'s own `dim`, `n_heads`, `n_layers`, so
/// transformers builds the model the aliases describe (checked in the reference environment:
/// distilbert-cls with `dim` 7, `n_heads` 3, `n_layers` 5 beside the right aliases loads with
/// `from_pretrained` and gives the original logits exactly). Glassbox read only the own keys.
final class DistilBertConfigAliasTests: XCTestCase {
    /// distilbert-cls's folder with its config.json text edited by `edit` (which must change it).
    private func folder(_ edit: (String) -> String) throws -> URL {
        try Fixtures.textEditedCopy(of: "distilbert-cls", test: self, edit)
    }

    /// Wrong own keys beside right aliases load the checkpoint's model: the same logits.
    func testAliasesWinOverTheOwnKeys() throws {
        let ids = [2, 17, 42, 9, 3]
        let original = try XCTUnwrap(TransformerModel.load(directory: Fixtures.model("distilbert-cls")).forward(ids).logits)
        let aliased = try folder { config in
            config.replacingOccurrences(of: #""dim": 28"#, with: #""dim": 7, "hidden_size": 28"#)
                .replacingOccurrences(of: #""n_heads": 4"#, with: #""n_heads": 3, "num_attention_heads": 4"#)
                .replacingOccurrences(of: #""n_layers": 3"#, with: #""n_layers": 5, "num_hidden_layers": 3"#)
        }
        let model = try TransformerModel.load(directory: aliased)
        XCTAssertEqual(model.architecture.layers, 3)
        XCTAssertEqual(try XCTUnwrap(model.forward(ids).logits).storage, original.storage)
    }

    /// A `null` alias is what transformers then reads (TypeError): refused, naming the alias; a
    /// bad alias value is named as the alias, not as the own key it overrides.
    func testABadAliasIsRefusedByName() throws {
        let nulled = try folder { $0.replacingOccurrences(of: #""n_heads": 4"#, with: #""n_heads": 4, "num_attention_heads": null"#) }
        XCTAssertThrowsError(try TransformerModel.load(directory: nulled)) { error in
            XCTAssertTrue(error.localizedDescription.contains("'num_attention_heads' is null"), error.localizedDescription)
        }
        let uneven = try folder { $0.replacingOccurrences(of: #""n_heads": 4"#, with: #""n_heads": 4, "num_attention_heads": 5"#) }
        XCTAssertThrowsError(try TransformerModel.load(directory: uneven)) { error in
            XCTAssertTrue(error.localizedDescription.contains("'num_attention_heads'"), error.localizedDescription)
            XCTAssertTrue(error.localizedDescription.contains("must divide dim (28)"), error.localizedDescription)
        }
    }
}
