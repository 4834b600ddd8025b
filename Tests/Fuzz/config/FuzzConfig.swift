import Foundation
@testable import GlassboxRuntime
import GlassboxFuzzSupport

/// A `config.json`: decoding it as each architecture's config either works or throws.
func fuzz(_ data: Data) {
    let file = URL(fileURLWithPath: "config.json")
    _ = try? ConfigDecoding.decode(ModelTypeProbe.self, from: data, file: file)
    _ = try? ConfigDecoding.decode(GPT2Config.self, from: data, file: file)
    _ = try? ConfigDecoding.decode(LlamaConfig.self, from: data, file: file)
    _ = try? ConfigDecoding.decode(BertConfig.self, from: data, file: file)
    _ = try? ConfigDecoding.decode(ViTConfig.self, from: data, file: file)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzz(FuzzInput.data(data, size))
    return 0
}

@main enum Harness {
    static func main() { FuzzInput.main(fuzzOneInput, replaying: fuzz) }
}
