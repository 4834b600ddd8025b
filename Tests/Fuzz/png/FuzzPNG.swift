import Foundation
@testable import GlassboxModelIO
import GlassboxFuzzSupport

/// A PNG file: decoding it (libpng) and preparing it for a ViT either work or throw.
func fuzz(_ data: Data) {
    let url = FuzzInput.file(data, name: "image.png")
    guard let image = try? RGBImage.readPNG(url) else { return }
    _ = preprocessor?.pixelValues(image)
}

let preprocessor = try? ImagePreprocessor(json: ["size": 8, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]],
                                          file: "preprocessor_config.json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzz(FuzzInput.data(data, size))
    return 0
}

@main enum Harness {
    static func main() { FuzzInput.main(fuzzOneInput, replaying: fuzz) }
}
