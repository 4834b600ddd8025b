import Foundation
import GlassboxModelIO
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// PNG decoding and ViT preprocessing against Pillow 13 + transformers' ViTImageProcessor
/// (goldens from scripts/fixtures/image_fixtures.py). Decoding must be byte-exact; pixel values
/// must match to 1e-5 (the resize is reproduced bit for bit, so only float rounding remains).
final class ImagePreprocessingTests: XCTestCase {
    let images = Fixtures.root.appendingPathComponent("Tests/Fixtures/images")

    private func pngs() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: images.path).filter { $0.hasSuffix(".png") }.sorted()
    }

    func testDecodingMatchesPillowForEveryColourTypeAndDepth() throws {
        let files = try pngs()
        XCTAssertGreaterThanOrEqual(files.count, 9)
        for name in files {
            let image = try RGBImage.readPNG(images.appendingPathComponent(name))
            let golden = try SafetensorsFile(url: images.appendingPathComponent("goldens/\(name.dropLast(4)).safetensors"))
            let decoded = try golden.tensor("decoded")                    // [H, W, 3]
            XCTAssertEqual([image.height, image.width, 3], decoded.shape, name)
            let ours = Tensor(shape: decoded.shape, storage: image.pixels.map(Float.init))
            assertClose(ours, decoded, tolerance: 0, "\(name) decoded RGB")
        }
    }

    func testPixelValuesMatchTheImageProcessor() throws {
        for model in ["vit-tiny", "vit-odd"] {
            let processor = try ImagePreprocessor.load(directory: Fixtures.model(model))
            for name in try pngs() {
                let image = try RGBImage.readPNG(images.appendingPathComponent(name))
                let golden = try SafetensorsFile(url: images.appendingPathComponent("goldens/\(name.dropLast(4)).safetensors"))
                assertClose(processor.pixelValues(image), try golden.tensor("\(model).pixel_values"),
                            tolerance: 1e-5, "\(model) \(name) pixel values")
            }
        }
    }

    /// Both pass orders of Pillow 13 and both directions, on sizes beyond the fixtures: the resize
    /// of a constant image stays constant, and an identity resize is a copy.
    func testResizeInvariants() {
        let constant = RGBImage(width: 37, height: 91, pixels: [UInt8](repeating: 200, count: 37 * 91 * 3))
        for (w, h) in [(10, 10), (80, 20), (37, 30), (5, 200), (120, 91)] {
            let resized = PILResize.bilinear(constant, width: w, height: h)
            XCTAssertEqual(resized.pixels, [UInt8](repeating: 200, count: w * h * 3), "\(w)×\(h)")
        }
        XCTAssertEqual(PILResize.bilinear(constant, width: 37, height: 91), constant)
    }

    /// `image_mean` / `image_std` given as one number: the Hugging Face processors broadcast it over
    /// the channels, so vit-tiny's config with 0.5 for both (its lists are [0.5, 0.5, 0.5]) must give
    /// the transformers golden of vit-tiny (1e-5).
    func testScalarMeanAndStdBroadcastAsTheProcessorDoes() throws {
        let folder = try makeTemporaryFolder("pre")
        let config = #"{"do_normalize": true, "do_rescale": true, "do_resize": true, "image_mean": 0.5, "image_std": 0.5, "#
            + #""resample": 2, "rescale_factor": 0.00392156862745098, "size": {"height": 32, "width": 32}}"#
        try Data(config.utf8).write(to: folder.appendingPathComponent("preprocessor_config.json"))
        let processor = try ImagePreprocessor.load(directory: folder)
        let name = try XCTUnwrap(try pngs().first)
        let image = try RGBImage.readPNG(images.appendingPathComponent(name))
        let golden = try SafetensorsFile(url: images.appendingPathComponent("goldens/\(name.dropLast(4)).safetensors"))
        assertClose(processor.pixelValues(image), try golden.tensor("vit-tiny.pixel_values"), tolerance: 1e-5, "scalar mean/std")
    }

    /// The `do_*` switches as transformers 4.53.3's ViTImageProcessor reads them (checked in the
    /// reference environment: `ViTImageProcessor(do_normalize=v, size={"height": 4, "width": 4},
    /// image_mean=0.5, image_std=0.5)` against `do_normalize=False` on one image): `null` (None),
    /// `0` and `0.0` switch normalisation off; `1`, `2` and `"false"` (a non-empty string) leave it
    /// on. `null` used to fall back to on.
    func testDoSwitchesReadAsTheProcessorReadsThem() throws {
        let folder = try makeTemporaryFolder("pre")
        let cases: [(String, Bool)] = [("null", false), ("0", false), ("0.0", false), ("1", true), ("2", true), ("\"false\"", true)]
        for (written, on) in cases + [("", true)] {
            let field = written.isEmpty ? "" : #""do_normalize": "# + written + ", "
            let config = "{" + field + #""image_mean": 0.5, "image_std": 0.5, "size": {"height": 4, "width": 4}}"#
            try Data(config.utf8).write(to: folder.appendingPathComponent("preprocessor_config.json"))
            let processor = try ImagePreprocessor.load(directory: folder)
            XCTAssertEqual(processor.mean != nil, on, "do_normalize: \(written.isEmpty ? "absent" : written)")
        }
    }

    /// A preprocessor_config.json that is not JSON (a missing comma) says so, with where; a NaN
    /// (which Python reads) is named with its field; one whose top level is not an object names
    /// what it is.
    func testMalformedPreprocessorConfigSaysWhatIsWrong() throws {
        let folder = try makeTemporaryFolder("pre")
        let file = folder.appendingPathComponent("preprocessor_config.json")
        try Data(#"{"size": 4 "rescale_factor": 1}"#.utf8).write(to: file)
        XCTAssertThrowsError(try ImagePreprocessor.load(directory: folder)) { error in
            let message = error.localizedDescription
            XCTAssertTrue(message.hasSuffix("preprocessor_config.json: is not valid JSON at line 1, column 12"), message)
        }
        try Data(#"{"size": 4, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "rescale_factor": NaN}"#.utf8).write(to: file)
        XCTAssertThrowsError(try ImagePreprocessor.load(directory: folder)) { error in
            XCTAssertTrue(error.localizedDescription.contains("rescale_factor"), error.localizedDescription)
        }
        try Data("[1, 2]".utf8).write(to: file)
        XCTAssertThrowsError(try ImagePreprocessor.load(directory: folder)) { error in
            XCTAssertTrue(error.localizedDescription.hasSuffix("preprocessor_config.json: is a JSON array, not an object"), error.localizedDescription)
        }
    }

    func testUnreadableImagesAreErrors() throws {
        let folder = try makeTemporaryFolder("png")
        let notPNG = folder.appendingPathComponent("x.png")
        try Data("hello".utf8).write(to: notPNG)
        XCTAssertThrowsError(try RGBImage.readPNG(notPNG)) {
            XCTAssertTrue($0.localizedDescription.contains("not a PNG"), $0.localizedDescription)
        }
        let png = try Data(contentsOf: images.appendingPathComponent("rgb8-100x33.png"))
        for cut in [9, 40, png.count / 2, png.count - 13] {
            let truncated = folder.appendingPathComponent("cut\(cut).png")
            try png.prefix(cut).write(to: truncated)
            XCTAssertThrowsError(try RGBImage.readPNG(truncated), "cut at \(cut)")
        }
        XCTAssertThrowsError(try RGBImage.readPNG(folder.appendingPathComponent("missing.png"))) {
            XCTAssertTrue($0.localizedDescription.contains("missing.png"), $0.localizedDescription)
        }
    }
}
