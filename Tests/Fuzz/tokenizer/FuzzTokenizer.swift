import Foundation
import GlassboxTokenizers
import GlassboxFuzzSupport

/// A `tokenizer.json`, a NUL byte, then a text (or only the file, with a fixed text): loading the
/// tokenizer, encoding the text (alone and as a pair) and decoding the ids either work or throw.
func fuzz(_ data: Data) {
    let bytes = [UInt8](data)
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let json = Data(bytes[..<split])
    let text = split < bytes.count ? String(decoding: bytes[(split + 1)...], as: UTF8.self) : "Hello, world! 123 héllo  \n"
    guard let tokenizer = try? Tokenizer(json: json, file: "tokenizer.json") else { return }
    if let encoding = try? tokenizer.encode(text) {
        _ = tokenizer.decode(encoding.ids)
        _ = tokenizer.decode(encoding.ids, skipSpecialTokens: true)
    }
    _ = try? tokenizer.encode(text, pair: text, addSpecialTokens: true)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzz(FuzzInput.data(data, size))
    return 0
}

@main enum Harness {
    static func main() { FuzzInput.main(fuzzOneInput, replaying: fuzz) }
}
