import Foundation
import GlassboxModelIO
import GlassboxFuzzSupport

/// A safetensors file (header and data): opening it and reading every tensor either works or
/// throws a `ModelIOError`.
func fuzz(_ data: Data) {
    let url = FuzzInput.file(data, name: "model.safetensors")
    guard let file = try? SafetensorsFile(url: url) else { return }
    for name in file.tensorNames {
        _ = try? file.tensor(name)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzz(FuzzInput.data(data, size))
    return 0
}

@main enum Harness {
    static func main() { FuzzInput.main(fuzzOneInput, replaying: fuzz) }
}
