/// The sizes Glassbox accepts from files and arguments, in one place (docs/cli.md lists them).
/// Each limit is far above what real checkpoints use and far below what would exhaust memory;
/// going over one is an error that names the limit.
public enum InputLimits {
    /// `config.json`, `preprocessor_config.json`, `tokenizer_config.json`,
    /// `special_tokens_map.json` and `model.safetensors.index.json`: 16 MiB.
    public static let configFileBytes = 16 << 20
    /// Tokenizer files (`tokenizer.json`, `vocab.json`, `merges.txt`, `vocab.txt`): 256 MiB.
    public static let tokenizerFileBytes = 256 << 20
    /// A saved result (`render RESULT.json`): 256 MiB.
    public static let resultFileBytes = 256 << 20
    /// A reference trace (`verify --reference TRACE.json`): 1 GiB.
    public static let traceFileBytes = 1 << 30
    /// Nesting of any JSON document read: 512 levels.
    public static let jsonDepth = 512
    /// Length of one token string (vocabulary pieces, merges, added tokens): 1,024 UTF-8 bytes.
    public static let tokenBytes = 1024
    /// An image's width and height after decoding: 16,384 pixels each.
    public static let imageSide = 16_384
    /// An image's pixel count after decoding: 64 Mi pixels (8192 × 8192).
    public static let imagePixels = 64 << 20
    /// A resize target of `preprocessor_config.json` (`size`): 4,096 pixels per side.
    public static let resizeSide = 4096
    /// A corpus paragraph is read at most this many bytes at a time (1 MiB); longer paragraphs
    /// are cut into windows of this size.
    public static let corpusWindowBytes = 1 << 20

    /// One input line of `glassbox batch`: 16 MiB (a longer line becomes an error record).
    public static let batchLineBytes = 16 << 20

    /// One record of a batch result file as `merge` and `batch --resume` read it: 64 MiB (each
    /// holds one record per file in memory); a longer line stops them, saying so.
    public static let resultLineBytes = 4 * batchLineBytes

    /// `"16 MiB"`, `"1 KiB"`, `"512 bytes"`.
    public static func describe(bytes: Int) -> String {
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
