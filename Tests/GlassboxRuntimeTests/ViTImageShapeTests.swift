import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// ViT inputs that are not square RGB: `image_size` / `patch_size` written as lists `[h, w]` (the
/// vit-wide fixture, made by transformers with image_size [16, 24], patch_size [4, 4], a bicubic
/// processor; every hook is compared in GoldenTests), and the configs that are refused with one
/// line naming the file and key: unequal patch sides, a list of another length, `num_channels`
/// other than 3 when an image is prepared (it used to fail in the forward pass naming no file),
/// and a processor `size` other than `image_size`.
final class ViTImageShapeTests: XCTestCase {
    private let png = Fixtures.root.appendingPathComponent("Tests/Fixtures/images/rgb8-100x33.png")

    /// vit-wide's config.json with `edit` applied to its JSON object, in a linked copy.
    private func wide(_ edit: @escaping (inout [String: Any]) -> Void) throws -> URL {
        try Fixtures.linkedCopy(of: "vit-wide", test: self, replacing: "config.json") { data in
            var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            edit(&object)
            return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        }
    }

    func testListSizesGiveANonSquareGrid() throws {
        let context = try ModelContext.load(directory: Fixtures.model("vit-wide"))
        let g = try XCTUnwrap(context.architecture.image)
        XCTAssertEqual([g.height, g.width, g.channels, g.patchSize, g.gridRows, g.gridColumns], [16, 24, 3, 4, 4, 6])
        XCTAssertEqual(context.architecture.contextLength, 25)
        XCTAssertEqual(context.imagePreprocessor?.resample, .bicubic)
        XCTAssertEqual(context.tokens(.pixels(.zeros([3, 16, 24]))).suffix(2), ["3,4", "3,5"])
    }

    /// The PNG of the golden's "image" case through the checkpoint's bicubic 100×33 → 24×16
    /// preparation equals the processor's pixel values (1e-5), and the run its logits (1e-4).
    func testImageFromPNGMatchesTheProcessorAndTheModel() throws {
        let context = try ModelContext.load(directory: Fixtures.model("vit-wide"))
        let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("vit-wide/image.safetensors"))
        let input = try context.input(image: png)
        guard case .pixels(let pixels) = input else { return XCTFail("not pixels") }
        assertClose(pixels, try golden.tensor("pixel_values"), tolerance: 1e-5, "vit-wide pixel values")
        let run = try context.model.forward(input)
        assertClose(try XCTUnwrap(run.logits), try golden.tensor("unembed.hook_out"), tolerance: 1e-4, "vit-wide logits")
    }

    /// A square written as a list is the same model as the integer.
    func testSquareListsEqualIntegers() throws {
        let folder = try Fixtures.linkedCopy(of: "vit-tiny", test: self, replacing: "config.json") { data in
            var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            (object["image_size"], object["patch_size"]) = ([32, 32], [8, 8])
            return try JSONSerialization.data(withJSONObject: object)
        }
        XCTAssertEqual(try fixtureOutput(TransformerModel.load(directory: folder)),
                       try fixtureOutput(TransformerModel.load(directory: Fixtures.model("vit-tiny"))))
    }

    func testUnsupportedSizesAreRefusedNamingTheKey() throws {
        let cases: [((inout [String: Any]) -> Void, String)] = [
            ({ $0["patch_size"] = [4, 6] }, "'patch_size' is [4, 6]: patches with unequal sides are not supported; give one size"),
            ({ $0["image_size"] = [16] }, "'image_size' must be one integer or a list [height, width], got a list of 1"),
            ({ $0["image_size"] = [16, 24, 3] }, "'image_size' must be one integer or a list [height, width], got a list of 3"),
            ({ $0["patch_size"] = [20, 20] }, "'patch_size' (20) is larger than image_size ([16, 24]): no patch fits"),
            ({ $0["image_size"] = [16, 0] }, "'image_size' must be positive, got 0"),
        ]
        for (edit, message) in cases {
            let folder = try wide(edit)
            XCTAssertThrowsError(try TransformerModel.load(directory: folder), message) { error in
                XCTAssertEqual(error.localizedDescription, folder.appendingPathComponent("config.json").path + ": " + message)
            }
        }
    }

    /// `num_channels: 1` with a matching one-channel patch weight loads and runs on `[1, 16, 24]`
    /// pixels; preparing an image is refused before the PNG is read, naming config.json and the key.
    func testOneChannelModelRefusesImagesNamingNumChannels() throws {
        let source = Fixtures.model("vit-wide")
        let folder = try makeTemporaryFolder("vit-gray")
        try FileManager.default.copyItem(at: source.appendingPathComponent("preprocessor_config.json"),
                                         to: folder.appendingPathComponent("preprocessor_config.json"))
        var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any])
        config["num_channels"] = 1
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        // The checkpoint with the patch projection's first input channel only: [24, 3, 4, 4] → [24, 1, 4, 4].
        let checkpoint = try Checkpoint(directory: source)
        let tensors = try checkpoint.tensorNames.sorted().map { name -> (String, Tensor) in
            var tensor = try checkpoint.tensor(name)
            if name.hasSuffix("patch_embeddings.projection.weight") {
                let plane = 16
                let storage = (0..<24).flatMap { o in tensor.storage[(o * 3 * plane)..<(o * 3 * plane + plane)] }
                tensor = Tensor(shape: [24, 1, 4, 4], storage: storage)
            }
            return (name, tensor)
        }
        try SafetensorsFile.write(tensors, to: folder.appendingPathComponent("model.safetensors"))

        let context = try ModelContext.load(directory: folder)
        XCTAssertNotNil(try context.model.forward(.pixels(Tensor(shape: [1, 16, 24], storage: (0..<384).map { Float($0 % 5) / 5 }))).logits)
        let missing = folder.appendingPathComponent("no-such-image.png")   // refused before the image is read
        XCTAssertThrowsError(try context.input(image: missing)) { error in
            XCTAssertEqual(error.localizedDescription, folder.appendingPathComponent("config.json").path
                + ": 'num_channels' is 1, but images are prepared as 3 channels (R, G, B), as transformers' ViTImageProcessor "
                + "prepares them (transformers refuses them for this model too); the model can only take pixel values given directly")
        }
    }

    /// A processor `size` other than the model's `image_size` is refused naming preprocessor_config.json
    /// (it failed in the forward pass naming no file); with `do_resize` false, an image of another size too.
    func testProcessorSizeMustBeTheModelsSize() throws {
        let folder = try Fixtures.linkedCopy(of: "vit-wide", test: self, replacing: "preprocessor_config.json") { data in
            Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"height\": 16", with: "\"height\": 24").utf8)
        }
        let processorFile = folder.appendingPathComponent("preprocessor_config.json").path
        XCTAssertThrowsError(try ModelContext.load(directory: folder).input(image: png)) { error in
            XCTAssertEqual(error.localizedDescription, processorFile
                + ": 'size' resizes to height 24 × width 24, but config.json's image_size is height 16 × width 24; the model takes only that size")
        }
        let unresized = try Fixtures.linkedCopy(of: "vit-wide", test: self, replacing: "preprocessor_config.json") { data in
            Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"do_resize\": true", with: "\"do_resize\": false").utf8)
        }
        XCTAssertThrowsError(try ModelContext.load(directory: unresized).input(image: png)) { error in
            XCTAssertEqual(error.localizedDescription, unresized.appendingPathComponent("preprocessor_config.json").path
                + ": does not resize (do_resize is false), so the image must be 24 × 16 pixels as config.json's image_size says; "
                + "\(png.path) is 100 × 33")
        }
    }
}
