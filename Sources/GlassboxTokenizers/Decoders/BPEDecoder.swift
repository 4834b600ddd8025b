/// Replaces the end-of-word suffix (`</w>`) by a space, or by nothing in the last token
/// (`BPEDecoder`).
struct BPEDecoder: TokenDecoder {
    let suffix: String

    init(config: ConfigReader) throws {
        suffix = try config.string("suffix")
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            token.replacingBytes(suffix, with: i == tokens.count - 1 ? "" : " ")
        }
    }
}
