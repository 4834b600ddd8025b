import Foundation
import GlassboxModelIO
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// `resample` in `preprocessor_config.json`: every filter Pillow numbers 0 to 5 prepares the image
/// as transformers 4.53.3's ViTImageProcessor does (goldens from scripts/fixtures/generate_resize.py,
/// a 100 × 33 PNG to height 16 × width 24, within 1e-5: the resize is byte-exact, only float
/// rounding of the normalisation remains); other values are refused with one line naming the file
/// and the key. Before, any value but 2 was refused ("resample 3 is not supported").
final class ImageResampleConfigTests: XCTestCase {
    let golden = Fixtures.root.appendingPathComponent("Tests/Fixtures/images/resize/processor.safetensors")

    /// A folder holding `preprocessor_config.json` with `text`.
    private func folder(_ text: String) throws -> URL {
        let folder = try makeTemporaryFolder("resample")
        try Data(text.utf8).write(to: folder.appendingPathComponent("preprocessor_config.json"))
        return folder
    }

    /// The processor config the goldens were made with, with `resample` set to `value` (JSON text).
    private func config(resample value: String?) throws -> String {
        let file = try SafetensorsFile(url: golden)
        var text = try XCTUnwrap(file.metadata["processor_config"])
        if let value { text = "{\"resample\": \(value), " + text.dropFirst() }
        return text
    }

    func testEveryFilterPreparesTheImageAsTheProcessorDoes() throws {
        let file = try SafetensorsFile(url: golden)
        let image = try RGBImage.readPNG(Fixtures.root.appendingPathComponent("Tests/Fixtures/images/rgb8-100x33.png"))
        XCTAssertEqual(file.tensorNames.count, PILFilter.allCases.count)
        for filter in PILFilter.allCases {
            let processor = try ImagePreprocessor.load(directory: folder(config(resample: "\(filter.rawValue)")))
            XCTAssertEqual(processor.resample, filter)
            let ours = processor.pixelValues(image)
            XCTAssertEqual(ours.shape, [3, 16, 24])
            assertClose(ours, try file.tensor(filter.name), tolerance: 1e-5, "resample \(filter.rawValue) (\(filter.name))")
        }
        // Absent and null are bilinear, as transformers falls back to BILINEAR; 3.0 is 3 and true is
        // 1, as Python's `PIL.Image.Resampling(3.0)` and `Resampling(True)` read them.
        for (written, filter) in [(nil, PILFilter.bilinear), ("null", .bilinear), ("3.0", .bicubic), ("true", .lanczos)] {
            XCTAssertEqual(try ImagePreprocessor.load(directory: folder(config(resample: written))).resample, filter, written ?? "absent")
        }
    }

    func testOtherResampleValuesAreRefusedWithTheSupportedList() throws {
        let supported = "supported: 0 (nearest), 1 (lanczos), 2 (bilinear), 3 (bicubic), 4 (box), 5 (hamming)"
        for (written, shown) in [("6", "6"), ("7", "7"), ("-1", "-1"), ("2.5", "2.5"), ("\"bicubic\"", "bicubic")] {
            let folder = try folder(config(resample: written))
            XCTAssertThrowsError(try ImagePreprocessor.load(directory: folder), written) { error in
                XCTAssertEqual(error.localizedDescription,
                               folder.appendingPathComponent("preprocessor_config.json").path + ": resample \(shown) is not supported; \(supported)")
            }
        }
    }
}
