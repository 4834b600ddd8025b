import Foundation
import GlassboxFiles

extension Tokenizer {
    /// Reads a SentencePiece `tokenizer.model` (a protobuf `ModelProto`, Unigram or BPE) and
    /// tokenizes as `sentencepiece.SentencePieceProcessor(model_file:)` does: `encode` gives its
    /// ids, pieces and byte offsets (`encode(text, out_type="immutable_proto")`), with no special
    /// tokens added whatever `addSpecialTokens` says; `decode` gives its `decode(ids)`. What
    /// `transformers`' converters make of such a file (a tokenizer.json's post-processor, added
    /// tokens) is not reproduced here (``Tokenizer/load(directory:)`` adds the tokens and the fast
    /// class's post-processor, see ``SentencePieceFolder``). A file that is not a valid model is
    /// `TokenizerError.malformedFile`; a Word or Char model is `TokenizerError.unsupportedType`.
    public init(sentencePieceModel url: URL) throws {
        let data = try InputFile.read(url, limit: InputLimits.tokenizerFileBytes)
        try self.init(sentencePieceModel: data, file: url.path)
    }

    /// Parses the bytes of a `tokenizer.model`; `file` names it in errors.
    public init(sentencePieceModel data: Data, file: String = "tokenizer.model") throws {
        let model = try SentencePieceModel(data: data, file: file)
        try self.init(normalizer: nil, preTokenizer: nil, model: SentencePieceProcessor(model), postProcessor: nil,
                      decoder: nil, addedTokens: [], source: "tokenizer.model")
    }
}
