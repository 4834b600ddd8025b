import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The stderr notes of image preparation: 16-bit gray values clipped as Pillow clips them, and a
/// `…Fast` image processor prepared the slow way; a DeiT crop size other than the model's is refused.
final class ImageNotesTests: XCTestCase {
    let images = Fixtures.root.appendingPathComponent("Tests/Fixtures/images")

    func testSixteenBitGrayClippingIsNoted() throws {
        let png = images.appendingPathComponent("gray16dark-12x9.png").path
        let output = try runGlassbox(["predict", "--model", Fixtures.model("vit-tiny").path, "--image", png, "--json"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let notes = output.stderr.split(separator: "\n").filter { $0.contains("clipped") }
        XCTAssertEqual(notes.count, 1, output.stderr)
        XCTAssertTrue(output.stderr.contains("note: \(png) is a 16-bit gray PNG; 39 value(s) above 255"), output.stderr)
        XCTAssertTrue(output.stderr.contains("above 255 were clipped to 255, as Pillow's convert(\"RGB\") (and so transformers) does"), output.stderr)
        let eight = try runGlassbox(["predict", "--model", Fixtures.model("vit-tiny").path, "--image",
                                     images.appendingPathComponent("rgb16-64x64.png").path, "--json"])
        XCTAssertEqual(eight.status, 0, eight.stderr)
        XCTAssertFalse(eight.stderr.contains("clipped"), eight.stderr)
    }

    func testFastProcessorIsNotedAndDeiTCropChecked() throws {
        let png = images.appendingPathComponent("rgb8-100x33.png").path
        func edited(_ change: @escaping (inout [String: Any]) -> Void) throws -> URL {
            try Fixtures.linkedCopy(of: "vit-tiny", test: self, replacing: "preprocessor_config.json") { data in
                var object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
                change(&object)
                return try JSONSerialization.data(withJSONObject: object)
            }
        }
        let fast = try edited { $0["image_processor_type"] = "ViTImageProcessorFast" }
        let output = try runGlassbox(["predict", "--model", fast.path, "--image", png, "--json"])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stderr.contains("note: preprocessor_config.json asks for ViTImageProcessorFast; Glassbox prepares images as the slow ViTImageProcessor does"),
                      output.stderr)
        // DeiT: resized to 40 × 40 and cropped to vit-tiny's 32 × 32 runs; a 24 × 24 crop is refused, naming crop_size.
        let deit = try edited { $0["image_processor_type"] = "DeiTImageProcessor"; $0["size"] = [40, 40]; $0["crop_size"] = 32 }
        XCTAssertEqual(try runGlassbox(["predict", "--model", deit.path, "--image", png, "--json"]).status, 0)
        let wrong = try edited { $0["image_processor_type"] = "DeiTImageProcessor"; $0["size"] = [40, 40]; $0["crop_size"] = 24 }
        let refused = try runGlassbox(["predict", "--model", wrong.path, "--image", png, "--json"])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("preprocessor_config.json: 'crop_size' crops to height 24 × width 24, but config.json's image_size is height 32 × width 32"),
                      refused.stderr)
    }
}
