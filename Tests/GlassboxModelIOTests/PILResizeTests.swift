import Foundation
import GlassboxModelIO
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// `PILResize.resize` for every filter against Pillow 13's own `Image.resize` (goldens from
/// scripts/fixtures/generate_resize.py): five committed PNGs resized up and down, on one axis or
/// both, in both pass orders, and 24 seeded random images to random sizes from 1 to 24 pixels.
/// Tolerance 0: every byte equal.
final class PILResizeTests: XCTestCase {
    let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/images/resize")

    /// The filter, width and height of a golden named `<FILTER>.<W>x<H>`.
    private func target(_ name: Substring) throws -> (PILFilter, Int, Int) {
        let parts = name.split(separator: ".")
        let size = parts[1].split(separator: "x").compactMap { Int($0) }
        let filter = try XCTUnwrap(PILFilter.allCases.first { $0.name == parts[0] }, "unknown filter in \(name)")
        XCTAssertEqual(size.count, 2, String(name))
        return (filter, size[0], size[1])
    }

    /// An RGB8 image from a `[H, W, 3]` golden of byte values.
    private func image(_ tensor: Tensor) -> RGBImage {
        RGBImage(width: tensor.shape[1], height: tensor.shape[0], pixels: tensor.storage.map { UInt8($0) })
    }

    /// How many bytes differ, and the largest difference.
    private func compare(_ ours: RGBImage, _ golden: Tensor, _ label: String) {
        XCTAssertEqual([ours.height, ours.width, 3], golden.shape, label)
        guard [ours.height, ours.width, 3] == golden.shape else { return }
        let differences = zip(ours.pixels, golden.storage).map { abs(Int($0) - Int($1)) }.filter { $0 != 0 }
        XCTAssertTrue(differences.isEmpty, "\(label): \(differences.count) of \(ours.pixels.count) bytes differ from Pillow, by up to \(differences.max() ?? 0)")
    }

    func testEveryFilterMatchesPillowOnTheCommittedImages() throws {
        var checked = Set<PILFilter>()
        for png in ["gray8-7x5", "rgb8-100x33", "graya8-33x100", "rgba8-40x30", "palette8-30x40"] {
            let source = try RGBImage.readPNG(Fixtures.root.appendingPathComponent("Tests/Fixtures/images/\(png).png"))
            let golden = try SafetensorsFile(url: folder.appendingPathComponent("\(png).safetensors"))
            XCTAssertGreaterThanOrEqual(golden.tensorNames.count, 12, png)
            for name in golden.tensorNames {
                let (filter, width, height) = try target(Substring(name))
                compare(PILResize.resize(source, width: width, height: height, filter: filter),
                        try golden.tensor(name), "\(png) → \(name)")
                checked.insert(filter)
            }
        }
        XCTAssertEqual(checked, Set(PILFilter.allCases))
    }

    func testEveryFilterMatchesPillowOnRandomImagesAndSizes() throws {
        let golden = try SafetensorsFile(url: folder.appendingPathComponent("random.safetensors"))
        var count = 0
        for name in golden.tensorNames where !name.hasSuffix(".input") {
            let index = name.prefix { $0 != "." }
            let source = image(try golden.tensor("\(index).input"))
            let (filter, width, height) = try target(name.dropFirst(index.count + 1))
            compare(PILResize.resize(source, width: width, height: height, filter: filter), try golden.tensor(name),
                    "random \(index) \(source.width)×\(source.height) → \(name)")
            count += 1
        }
        XCTAssertEqual(count, 24 * PILFilter.allCases.count)
    }

    /// Pillow's numbering of the filters (`PIL.Image.Resampling`), which `resample` uses.
    func testFilterNumbersArePillows() {
        XCTAssertEqual(PILFilter.allCases.map { "\($0.rawValue) \($0.name)" },
                       ["0 NEAREST", "1 LANCZOS", "2 BILINEAR", "3 BICUBIC", "4 BOX", "5 HAMMING"])
    }
}
