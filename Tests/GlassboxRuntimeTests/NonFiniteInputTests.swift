import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// NaN or ±Inf that the caller put in (pixels, an intervention's result) is reported as such,
/// not as "the weights or the input overflow Float32".
final class NonFiniteInputTests: XCTestCase {
    let ids = [5, 17, 3, 99, 42, 8]

    /// A NaN edit names the intervention; an edit that is finite but overflows later is still
    /// reported at the first non-finite hook point with the overflow wording.
    func testANonFiniteEditIsNamedAsTheEdit() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let nan = Interventions(.block(0, .mlpOut)) { _, t in var t = t; t.storage[3] = .nan; t.storage[7] = .infinity; return t }
        XCTAssertThrowsError(try model.forward(ids, interventions: nan)) { error in
            XCTAssertEqual(error as? ForwardError, .nonFiniteEdit(hook: "blocks.0.hook_mlp_out", count: 2, total: 192))
            XCTAssertEqual(error.localizedDescription, "the intervention at blocks.0.hook_mlp_out returned NaN or ±Inf (2 of 192 "
                           + "values) for a finite activation; edits must be finite")
        }
        let huge = Interventions(.block(0, .mlpOut)) { _, t in Tensor(shape: t.shape, repeating: 3e38) }
        XCTAssertThrowsError(try model.forward(ids, interventions: huge)) { error in
            guard case .nonFiniteActivation(let hook, _, _)? = error as? ForwardError else { return XCTFail("\(error)") }
            XCTAssertNotEqual(hook, "blocks.0.hook_mlp_out")
            XCTAssertTrue(error.localizedDescription.contains("overflow Float32"), error.localizedDescription)
        }
    }

    /// NaN or ±Inf pixels are refused as input before the run.
    func testNonFinitePixelsAreAnInputError() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("vit-tiny"))
        var pixels = Tensor(shape: [3, 32, 32], repeating: 0.25)
        pixels.storage[0] = .nan
        pixels.storage[100] = -.infinity
        XCTAssertThrowsError(try model.forward(.pixels(pixels))) { error in
            XCTAssertEqual(error as? InputError, .nonFinitePixels(count: 2, total: 3072))
            XCTAssertEqual(error.localizedDescription, "2 of the 3072 pixel values are NaN or ±Inf; the input must be finite")
        }
    }
}
