import Foundation
import GlassboxTokenizers
import GlassboxFuzzSupport

/// A SentencePiece `tokenizer.model` (protobuf ModelProto): reading it either works or throws;
/// when it works, encoding a few fixed texts (spaces, Unicode, byte fallback, control-like
/// strings) and decoding their ids, and every id of the vocabulary, must not crash.
func fuzz(_ data: Data) {
    guard let tokenizer = try? Tokenizer(sentencePieceModel: data, file: "tokenizer.model") else { return }
    for text in ["Hello, world! 123 héllo  \n", "  a  b\t\tc  ", "", "é🇫🇷👨‍👩‍👧 中文 <s></s><unk>", "\u{2581}\u{2581}x\u{0301}"] {
        if let encoding = try? tokenizer.encode(text) {
            _ = tokenizer.decode(encoding.ids)
        }
    }
    _ = tokenizer.decode(Array(0..<min(tokenizer.modelVocabularySize, 512)))
    _ = tokenizer.decode([-1, Int.max, 0])
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzz(FuzzInput.data(data, size))
    return 0
}

@main enum Harness {
    static func main() { FuzzInput.main(fuzzOneInput, replaying: fuzz) }
}
