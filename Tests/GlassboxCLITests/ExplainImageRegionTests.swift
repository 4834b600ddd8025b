import CGlassboxCairo
import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `explain --image` records the rectangle of the image the patches cover (`extra.patchRegion`),
/// and its picture, like `render` of the record, draws the scores over that rectangle only, the
/// rest of the photo veiled: a DeiT center crop, a ViT whose patch size does not divide image_size;
/// a whole-image grid and a record without the key are drawn as before; a bad region is refused.
final class ExplainImageRegionTests: XCTestCase {
    let photo: (r: UInt8, g: UInt8, b: UInt8) = (200, 40, 40)
    var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("region") }

    /// A `width × height` PNG of the solid `photo` colour, written with Cairo.
    func solidPNG(width: Int, height: Int) -> URL {
        let url = folder.appendingPathComponent("solid-\(width)x\(height).png")
        let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height))
        let context = cairo_create(surface)
        cairo_set_source_rgb(context, Double(photo.r) / 255, Double(photo.g) / 255, Double(photo.b) / 255)
        cairo_paint(context)
        cairo_surface_write_to_png(surface, url.path)
        cairo_destroy(context)
        cairo_surface_destroy(surface)
        return url
    }

    /// Runs `explain --method rollout --json` and returns the record's JSON object and the picture.
    func explain(_ model: String, _ image: URL) throws -> (object: [String: Any], picture: URL) {
        let picture = folder.appendingPathComponent("explain-\(UUID().uuidString).png")
        let run = try runGlassbox(["explain", "--model", model, "--image", image.path, "--method", "rollout", "--json", "--out", picture.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        return (try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]), picture)
    }

    /// The record as a file, with `edit` applied to its `extra` object.
    func write(_ object: [String: Any], _ name: String, edit: (inout [String: Any]) -> Void = { _ in }) throws -> URL {
        var object = object, extra = try XCTUnwrap(object["extra"] as? [String: Any])
        edit(&extra)
        object["extra"] = extra
        let url = folder.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return url
    }

    /// `glassbox render` of a record file to a PNG, read back.
    func render(_ record: URL) throws -> PNGPixels {
        let out = folder.appendingPathComponent(record.lastPathComponent + ".png")
        let run = try runGlassbox(["render", record.path, "--out", out.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        return try PNGPixels(out)
    }

    /// The overlay panel of the record's picture (drawn in-process, as `render` draws it).
    func overlayPanel(_ record: URL) throws -> Rect {
        let figure = try ExplanationRecord.read(record).figure()
        let report = try figure.render(to: folder.appendingPathComponent("layout.png"), scale: 2)
        return try XCTUnwrap(report.regions[.overlay])
    }

    /// RGB bytes at the centre of image pixel (x, y) on the overlay panel of a scale-2 picture.
    func rgb(_ pixels: PNGPixels, _ panel: Rect, image: (Int, Int), _ x: Double, _ y: Double) -> (Int, Int, Int) {
        let word = pixels[Int((panel.x + (x + 0.5) * panel.width / Double(image.0)) * 2),
                          Int((panel.y + (y + 0.5) * panel.height / Double(image.1)) * 2)]
        return (Int((word >> 16) & 0xFF), Int((word >> 8) & 0xFF), Int(word & 0xFF))
    }

    /// Whether a pixel is the photo under the 50 % grey veil (within 3 levels).
    func isVeiled(_ c: (Int, Int, Int)) -> Bool {
        let expected = [photo.r, photo.g, photo.b].map { (Int($0) + 128) / 2 }
        return zip([c.0, c.1, c.2], expected).allSatisfy { abs($0 - $1) <= 3 }
    }

    func region(_ object: [String: Any]) throws -> [String: Double] {
        try XCTUnwrap((object["extra"] as? [String: Any])?["patchRegion"] as? [String: Double], "extra.patchRegion")
    }

    func testDeiTCenterCropIsRecordedAndDrawn() throws {
        // vit-tiny (32 px, patch 8) behind a DeiT processor: resize to 48 × 40 (h × w), crop 32 × 32.
        let model = try Fixtures.linkedCopy(of: "vit-tiny", test: self, replacing: "preprocessor_config.json") { data in
            var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            config["image_processor_type"] = "DeiTImageProcessor"
            config["size"] = ["height": 48, "width": 40]
            config["crop_size"] = ["height": 32, "width": 32]
            return try JSONSerialization.data(withJSONObject: config)
        }
        let image = solidPNG(width: 100, height: 33)
        let (object, picture) = try explain(model.path, image)
        // x: (40 − 32) // 2 = 4 resized pixels · 100/40 = 10, width 32 · 2.5 = 80; y: 8 · 33/48 = 5.5, height 22.
        XCTAssertEqual(try region(object), ["x": 10, "y": 5.5, "width": 80, "height": 22])
        let record = try write(object, "deit.json")
        let explained = try PNGPixels(picture), rendered = try render(record)
        XCTAssertEqual(rendered, explained, "render draws what explain drew")
        let panel = try overlayPanel(record)
        for (x, y) in [(4.0, 16.0), (95.0, 16.0), (50.0, 1.0), (50.0, 31.0)] {
            XCTAssertTrue(isVeiled(rgb(explained, panel, image: (100, 33), x, y)), "(\(x), \(y)) was cut off by the crop: veiled")
        }
        XCTAssertFalse(isVeiled(rgb(explained, panel, image: (100, 33), 50, 16)), "the middle carries the scores")

        // The same record without the key (as written before it existed): the whole image, as before.
        let old = try render(try write(object, "deit-old.json") { $0["patchRegion"] = nil })
        XCTAssertNotEqual(old, explained)
        XCTAssertFalse(isVeiled(rgb(old, panel, image: (100, 33), 4, 16)), "no region: no veil")
    }

    func testNonDividingPatchesCoverTheTopLeft() throws {
        // vit-edge: image_size 30, patch 8: 3 × 3 patches read the top-left 24 × 24 pixels (80 %).
        let image = solidPNG(width: 64, height: 64)
        let (object, picture) = try explain("Tests/Fixtures/activations/models/vit-edge", image)
        let r = try region(object)
        for (key, value) in ["x": 0.0, "y": 0, "width": 51.2, "height": 51.2] { XCTAssertEqual(try XCTUnwrap(r[key]), value, accuracy: 1e-9, key) }
        let pixels = try PNGPixels(picture), panel = try overlayPanel(try write(object, "edge.json"))
        for (x, y) in [(58.0, 58.0), (58.0, 10.0), (10.0, 58.0)] {
            XCTAssertTrue(isVeiled(rgb(pixels, panel, image: (64, 64), x, y)), "(\(x), \(y)) is past the patches: veiled")
        }
        XCTAssertFalse(isVeiled(rgb(pixels, panel, image: (64, 64), 25, 25)))
    }

    func testWholeImageGridDrawsAsBefore() throws {
        // vit-tiny resizes to 32 and its patches of 8 tile it: the region is the whole image.
        let (object, picture) = try explain("Tests/Fixtures/models/vit-tiny", solidPNG(width: 100, height: 33))
        XCTAssertEqual(try region(object), ["x": 0, "y": 0, "width": 100, "height": 33])
        let without = try render(try write(object, "whole-old.json") { $0["patchRegion"] = nil })
        XCTAssertEqual(try PNGPixels(picture), without, "a whole-image region is the picture without one")
    }

    func testBadRegionIsRefusedNamingTheKey() throws {
        let (object, _) = try explain("Tests/Fixtures/models/vit-tiny", solidPNG(width: 20, height: 20))
        let record = try write(object, "bad.json") { $0["patchRegion"] = ["x": 0, "y": 0, "width": -4, "height": 20] }
        let run = try runGlassbox(["render", record.path, "--out", folder.appendingPathComponent("bad.png").path])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains(record.path) && run.stderr.contains("extra.patchRegion: width and height must be positive, got -4.0 × 20.0"),
                      run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
    }

    /// A region the record was not written with: entirely outside the image, or with a value far
    /// beyond its size, would draw no scores and no outline under "outlined: the part the model
    /// saw"; `render` refuses it in one line naming the file and key. One just touching the image
    /// (the DeiT crop's padding) is still drawn.
    func testRegionOffTheImageOrHugeIsRefused() throws {
        let (object, _) = try explain("Tests/Fixtures/models/vit-tiny", solidPNG(width: 20, height: 20))
        let cases: [([String: Double], String)] = [
            (["x": -50, "y": -50, "width": 10, "height": 10], "the rectangle x -50.0, y -50.0, 10.0 × 10.0 does not overlap the 20 × 20 image"),
            (["x": 20, "y": 0, "width": 10, "height": 20], "the rectangle x 20.0, y 0.0, 10.0 × 20.0 does not overlap the 20 × 20 image"),
            (["x": 0, "y": 0, "width": 1e308, "height": 20], "a value is over 10⁶ × the image's side (20 pixels)"),
            (["x": -1e308, "y": 0, "width": 1e308, "height": 20], "a value is over 10⁶ × the image's side (20 pixels)"),
        ]
        for (i, (region, message)) in cases.enumerated() {
            let record = try write(object, "off-\(i).json") { $0["patchRegion"] = region }
            let run = try runGlassbox(["render", record.path, "--out", folder.appendingPathComponent("off-\(i).png").path])
            XCTAssertEqual(run.status, 1, run.stderr)
            XCTAssertTrue(run.stderr.contains(record.path) && run.stderr.contains("extra.patchRegion: ") && run.stderr.contains(message),
                          run.stderr)
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("off-\(i).png").path))
        }
        _ = try render(try write(object, "overlapping.json") { $0["patchRegion"] = ["x": -5, "y": -5, "width": 10, "height": 30] })
    }
}
