import Foundation
import GlassboxModelIO
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// preprocessor_config.json variants transformers 4.53.3 loads (`size` as a list or a number,
/// DeiTImageProcessor's resize + center crop with and without padding, ViTImageProcessorFast),
/// against the processors/ goldens of scripts/fixtures/image_fixtures.py: pixel values within
/// 1e-5 of the class the config names; for the Fast processor, within 1e-5 of the slow one (which
/// Glassbox reproduces) and within the generator's measured fast-vs-slow difference (+1e-5) of
/// torchvision's. 16-bit gray PNGs are clipped as Pillow clips them, and the clipped samples counted.
final class ImageProcessorVariantsTests: XCTestCase {
    let images = Fixtures.root.appendingPathComponent("Tests/Fixtures/images")

    /// The processor of a golden's `config` metadata, loaded from a temporary folder.
    func processor(_ config: String) throws -> ImagePreprocessor {
        let folder = try makeTemporaryFolder("proc")
        try Data(config.utf8).write(to: folder.appendingPathComponent("preprocessor_config.json"))
        return try ImagePreprocessor.load(directory: folder)
    }

    func testVariantsMatchTransformers() throws {
        let folder = images.appendingPathComponent("processors")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".safetensors") }.sorted()
        XCTAssertEqual(files, ["deit-noresize", "deit-pad", "deit", "vit-fast", "vit-size-int", "vit-size-list"].map { $0 + ".safetensors" })
        for file in files {
            let golden = try SafetensorsFile(url: folder.appendingPathComponent(file))
            let config = try XCTUnwrap(golden.metadata["config"], file)
            let processor = try processor(config)
            let names = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(XCTUnwrap(golden.metadata["images"]).utf8)) as? [String])
            XCTAssertFalse(names.isEmpty, file)
            for name in names {
                let values = processor.pixelValues(try RGBImage.readPNG(images.appendingPathComponent(name + ".png")))
                if processor.isFast {
                    assertClose(values, try golden.tensor("\(name).slow_pixel_values"), tolerance: 1e-5, "\(file) \(name) slow")
                    let measured = Float(try XCTUnwrap(golden.metadata["fast_max_abs_diff"]))!
                    XCTAssertLessThanOrEqual(measured, 1.01 / 255 / 0.5, "\(file): torchvision differs by more than one level")
                    assertClose(values, try golden.tensor("\(name).pixel_values"), tolerance: measured + 1e-5, "\(file) \(name) fast")
                } else {
                    assertClose(values, try golden.tensor("\(name).pixel_values"), tolerance: 1e-5, "\(file) \(name)")
                }
            }
        }
    }

    func testDeiTDefaultsAndSizeForms() throws {
        let imagenet = #""image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]"#
        // The class defaults: resize 256 × 256 with BICUBIC, crop 224 × 224.
        let deit = try processor(#"{"image_processor_type": "DeiTImageProcessor", "# + imagenet + "}")
        XCTAssertEqual(deit.resize?.height, 256); XCTAssertEqual(deit.resize?.width, 256)
        XCTAssertEqual(deit.resample, .bicubic)
        XCTAssertEqual(deit.centerCrop?.height, 224); XCTAssertEqual(deit.centerCrop?.width, 224)
        XCTAssertEqual(deit.outputSize?.height, 224)
        XCTAssertNil(deit.fastProcessorNote)
        // null resample: bilinear (transformers' resize falls back); no crop when switched off.
        let plain = try processor(#"{"image_processor_type": "DeiTImageProcessor", "resample": null, "do_center_crop": false, "size": [30, 20], "# + imagenet + "}")
        XCTAssertEqual(plain.resample, .bilinear)
        XCTAssertNil(plain.centerCrop)
        XCTAssertEqual(plain.outputSize?.height, 30); XCTAssertEqual(plain.outputSize?.width, 20)
        // ViT ignores crop keys, as ViTImageProcessor does.
        let vit = try processor(#"{"size": [24, 40], "crop_size": 8, "# + imagenet + "}")
        XCTAssertNil(vit.centerCrop)
        XCTAssertEqual(vit.resize?.height, 24); XCTAssertEqual(vit.resize?.width, 40)
        let fast = try processor(#"{"image_processor_type": "ViTImageProcessorFast", "size": 4, "# + imagenet + "}")
        XCTAssertTrue(try XCTUnwrap(fast.fastProcessorNote).contains("ViTImageProcessorFast"))
        for bad in [#""size": [24]"#, #""size": [24, 0]"#, #""size": "24""#] {
            XCTAssertThrowsError(try processor("{" + bad + ", " + imagenet + "}"), bad) { error in
                XCTAssertTrue(error.localizedDescription.contains("preprocessor_config.json: 'size' must give a height and width"), error.localizedDescription)
            }
        }
        XCTAssertThrowsError(try processor(#"{"image_processor_type": "DeiTImageProcessor", "crop_size": [9000, 4], "# + imagenet + "}")) { error in
            XCTAssertTrue(error.localizedDescription.contains("'crop_size' asks for 9000 × 4 pixels"), error.localizedDescription)
        }
        XCTAssertThrowsError(try processor(#"{"image_processor_type": "CLIPImageProcessor", "# + imagenet + "}")) { error in
            XCTAssertTrue(error.localizedDescription.contains("image processor 'CLIPImageProcessor' is not supported; supported: ViTImageProcessor"),
                          error.localizedDescription)
        }
    }

    /// Pillow's convert("RGB") of a 16-bit gray PNG clips at 255 (the decoded golden is Pillow's);
    /// the count of clipped samples is the generator's.
    func testSixteenBitGrayIsClippedAndCounted() throws {
        // gray16-40x30 is clipped everywhere (all 1200 values); gray16dark-12x9 (0 to 511) in part;
        // gray16trns-12x9 (0 to 1023, a tRNS chunk, which libpng turns into alpha) too, as Pillow
        // still opens it as I;16.
        for (name, count) in [("gray16-40x30", 1200), ("gray16dark-12x9", 39), ("gray16trns-12x9", 86)] {
            let (image, clipped) = try RGBImage.readPNGCountingClipped(images.appendingPathComponent("\(name).png"))
            let golden = try SafetensorsFile(url: images.appendingPathComponent("goldens/\(name).safetensors"))
            assertClose(Tensor(shape: [image.height, image.width, 3], storage: image.pixels.map(Float.init)), try golden.tensor("decoded"),
                        tolerance: 0, "\(name) decoded")
            let note = try XCTUnwrap(golden.metadata["note"])
            let expected = try XCTUnwrap(note.components(separatedBy: "(").last?.split(separator: " ").first, note)   // "(N of M here)"
            XCTAssertEqual(clipped, Int(expected), note)
            XCTAssertEqual(clipped, count, name)
            XCTAssertTrue(image.pixels.contains { $0 < 255 } == (name != "gray16-40x30"), name)
        }
        XCTAssertEqual(try RGBImage.readPNGCountingClipped(images.appendingPathComponent("rgb16-64x64.png")).clipped, 0)
    }
}
