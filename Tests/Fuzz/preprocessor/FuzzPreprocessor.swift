import Foundation
@testable import GlassboxModelIO
import GlassboxFuzzSupport

/// A `preprocessor_config.json`: loading it either works or throws; a loaded one then prepares a
/// small image.
func fuzz(_ data: Data) {
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let preprocessor = try? ImagePreprocessor(json: object, file: "preprocessor_config.json") else { return }
    _ = preprocessor.pixelValues(image)
}

let image = RGBImage(width: 5, height: 3, pixels: (0..<45).map { UInt8($0 * 5) })

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzz(FuzzInput.data(data, size))
    return 0
}

@main enum Harness {
    static func main() { FuzzInput.main(fuzzOneInput, replaying: fuzz) }
}
