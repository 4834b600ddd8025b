import Foundation
import GlassboxModelIO
import GlassboxTestSupport
import XCTest

/// The rectangle of the original image a ViT's patches cover (`ImagePreprocessor.sourceRegion`)
/// against Tests/Fixtures/images/regions.json (scripts/fixtures/generate_image_regions.py,
/// transformers 4.53.3): ViTImageProcessor whose patches tile the resize or not (floor grid,
/// square and non-square), DeiTImageProcessor's center crop (odd margins, a crop width the patches
/// do not divide, zero padding, no resize), on 300 × 200 and 97 × 161 images. The analytic region
/// (from transformers' own rules) to 1e-9 px; the edges read back from the processor's output on
/// coordinate ramps within ±1 px (the fixture's `tolerance_pixels`).
final class ImageRegionTests: XCTestCase {
    /// The processor of one case: its config written to a temporary folder and loaded as a model's.
    func processor(_ config: Any) throws -> ImagePreprocessor {
        let folder = try makeTemporaryFolder("region")
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("preprocessor_config.json"))
        return try ImagePreprocessor.load(directory: folder)
    }

    func testRegionsMatchTransformers() throws {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/images/regions.json")
        let data = try Data(contentsOf: url)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let tolerance = try XCTUnwrap(object["tolerance_pixels"] as? Double)
        XCTAssertEqual(tolerance, 1.0)
        let cases = try XCTUnwrap(object["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.compactMap { $0["name"] as? String },
                       ["vit-whole", "vit-floor", "vit-floor-wide", "deit", "deit-floor", "deit-pad", "deit-noresize"])
        var compared = 0, measuredEdges = 0
        for entry in cases {
            let name = try XCTUnwrap(entry["name"] as? String)
            let processor = try processor(try XCTUnwrap(entry["preprocessor_config"]))
            let imageSize = try XCTUnwrap(entry["image_size"] as? [Int]), patch = try XCTUnwrap(entry["patch_size"] as? Int)
            let covered = (height: imageSize[0] / patch * patch, width: imageSize[1] / patch * patch)
            for image in try XCTUnwrap(entry["images"] as? [[String: Any]]) {
                let width = try XCTUnwrap(image["width"] as? Int), height = try XCTUnwrap(image["height"] as? Int)
                let what = "\(name) \(width)×\(height)"
                let expected = try XCTUnwrap(image["region"] as? [String: Double], what)
                let region = processor.sourceRegion(width: width, height: height, covered: covered)
                for (key, value) in [("x", region.x), ("y", region.y), ("width", region.width), ("height", region.height)] {
                    XCTAssertEqual(value, try XCTUnwrap(expected[key]), accuracy: 1e-9, "\(what) \(key)")
                }
                let measured = try XCTUnwrap(image["measured"] as? [String: Any], what)
                let edges = [("left", region.x), ("top", region.y), ("right", region.x + region.width), ("bottom", region.y + region.height)]
                for (edge, value) in edges {
                    guard let read = measured[edge] as? Double else {
                        // The corner pixel is zero padding: the edge must lie outside the image.
                        let outside = edge == "left" || edge == "top" ? value < 0 : value > Double(edge == "right" ? width : height)
                        XCTAssertTrue(outside, "\(what) \(edge) \(value) reads padding but lies in the image")
                        continue
                    }
                    XCTAssertEqual(value, read, accuracy: tolerance, "\(what) \(edge): transformers' output says \(read)")
                    measuredEdges += 1
                }
                compared += 1
            }
        }
        XCTAssertEqual(compared, 14)
        XCTAssertEqual(measuredEdges, 48, "every edge outside deit-pad read back")
    }

    func testRegionProblems() {
        XCTAssertNil(ImageRegion(x: -3, y: 0, width: 10, height: 2).problem)
        XCTAssertEqual(ImageRegion(x: 0, y: 0, width: 0, height: 2).problem, "width and height must be positive, got 0.0 × 2.0")
        XCTAssertEqual(ImageRegion(x: .nan, y: 0, width: 1, height: 2).problem, "x, y, width and height must be finite numbers")
    }
}
