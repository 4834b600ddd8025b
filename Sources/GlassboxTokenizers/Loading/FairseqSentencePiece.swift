import Foundation
import GlassboxFiles

/// XLM-R's and CamemBERT's `sentencepiece.bpe.model` without a `tokenizer.json`: what
/// `AutoTokenizer` (transformers 4.53.3) loads from such a folder, the fast class built from the
/// `tokenizer.json` document its converter writes (`XLMRobertaConverter`, `CamembertConverter` over
/// `SpmConverter`), then ``FastTokenizerOverrides`` as for a shipped `tokenizer.json`. The document:
/// - a Unigram model whose vocabulary moves the SentencePiece ids as fairseq's dictionary does —
///   XLM-R: `<s> <pad> </s> <unk>` (0–3), piece `i ≥ 3` at `i + 1`, `<mask>` last;
///   CamemBERT: `<s>NOTUSED <pad> </s>NOTUSED <unk> <unk>NOTUSED` (0–4, the last scored −100),
///   piece `i ≥ 1` at `i + 4`, `<mask>` last; unknown id 3 (the converters assume the model's
///   `<unk> <s> </s>` are its first pieces, as fairseq's are);
/// - the model's control and user-defined pieces as added tokens (not normalized; special when control);
/// - normalizer `Precompiled` (the model's charsmap, when it has one), `Strip` right, `Replace(" {2,}", "▁")`;
/// - `Metaspace` pre-tokenizer and decoder (`▁`, prepend always);
/// - the template `<s> $A </s>` / `<s> $A </s> </s> $B </s>` with the ids `<s>` and `</s>` have there.
/// The class's special tokens (`<mask>` with `lstrip`, …) are then added from `tokenizer_config.json`
/// or the class defaults. Another class (or none) is `TokenizerError.tokenizerJSONNeeded`, as is a
/// BPE model (the converters build a Unigram).
enum FairseqSentencePiece {
    /// The file name of XLM-R's and CamemBERT's SentencePiece model.
    static let fileName = "sentencepiece.bpe.model"

    /// The tokenizer of `directory`, whose only tokenizer file is the SentencePiece model `url`.
    static func load(model url: URL, directory: URL) throws -> Tokenizer {
        let parsed = try FastTokenizerOverrides.tokenizerConfig(directory)
        guard let name = try FastTokenizerOverrides.tokenizerClass(tokenizerConfig: parsed ?? .object([]), directory: directory),
              let family = FastTokenizerOverrides.family(tokenizerClass: name), family == .xlmRoberta || family == .camembert
        else { throw TokenizerError.tokenizerJSONNeeded(file: url.path) }
        let data = try InputFile.read(url, limit: InputLimits.tokenizerFileBytes)
        let model = try SentencePieceModel(data: data, file: url.path)
        guard model.algorithm == .unigram else { throw TokenizerError.tokenizerJSONNeeded(file: url.path) }
        let document = self.document(model, charsmap: model.precompiledCharsmap, camembert: family == .camembert)
        return try FastTokenizerOverrides.load(document: document, file: url.path, directory: directory, tokenizerConfig: parsed,
                                               className: name)
    }

    /// The converter's `tokenizer.json` document for `model` (see the type's description).
    static func document(_ model: SentencePieceModel, charsmap: Data, camembert: Bool) -> JSONValue {
        var vocabulary: [(String, Double)] = camembert
            ? [("<s>NOTUSED", 0), ("<pad>", 0), ("</s>NOTUSED", 0), ("<unk>", 0), ("<unk>NOTUSED", -100)]
            : [("<s>", 0), ("<pad>", 0), ("</s>", 0), ("<unk>", 0)]
        let first = camembert ? 1 : 3                      // the model's pieces kept, from this id on
        for i in min(first, model.pieces.count)..<model.pieces.count { vocabulary.append((model.pieces[i], Double(model.scores[i]))) }
        vocabulary.append(("<mask>", 0))
        var ids: [String: Int] = [:]
        for (id, entry) in vocabulary.enumerated() where ids[entry.0] == nil { ids[entry.0] = id }
        let added: [JSONValue] = model.kinds.indices.compactMap { i in
            guard model.kinds[i] == .control || model.kinds[i] == .userDefined, let id = ids[model.pieces[i]] else { return nil }
            return .object([("id", .int(id)), ("content", .string(model.pieces[i])), ("single_word", .bool(false)),
                            ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(false)),
                            ("special", .bool(model.kinds[i] == .control))])
        }
        var normalizers: [JSONValue] = charsmap.isEmpty ? []
            : [.object([("type", .string("Precompiled")), ("precompiled_charsmap", .string(charsmap.base64EncodedString()))])]
        normalizers.append(.object([("type", .string("Strip")), ("strip_left", .bool(false)), ("strip_right", .bool(true))]))
        normalizers.append(.object([("type", .string("Replace")), ("pattern", .object([("Regex", .string(" {2,}"))])),
                                    ("content", .string("\u{2581}"))]))
        let metaspace = JSONValue.object([("type", .string("Metaspace")), ("replacement", .string("\u{2581}")),
                                          ("prepend_scheme", .string("always")), ("split", .bool(true))])
        func special(_ token: String) -> JSONValue { .object([("SpecialToken", .object([("id", .string(token)), ("type_id", .int(0))]))]) }
        func sequence(_ id: String) -> JSONValue { .object([("Sequence", .object([("id", .string(id)), ("type_id", .int(0))]))]) }
        func entry(_ token: String) -> (key: String, value: JSONValue) {
            (token, .object([("id", .string(token)), ("ids", .array([.int(ids[token] ?? 0)])), ("tokens", .array([.string(token)]))]))
        }
        let template = JSONValue.object([
            ("type", .string("TemplateProcessing")),
            ("single", .array([special("<s>"), sequence("A"), special("</s>")])),
            ("pair", .array([special("<s>"), sequence("A"), special("</s>"), special("</s>"), sequence("B"), special("</s>")])),
            ("special_tokens", .object([entry("</s>"), entry("<s>")])),
        ])
        return .object([
            ("version", .string("1.0")), ("added_tokens", .array(added)),
            ("normalizer", .object([("type", .string("Sequence")), ("normalizers", .array(normalizers))])),
            ("pre_tokenizer", metaspace), ("post_processor", template), ("decoder", metaspace),
            ("model", .object([("type", .string("Unigram")), ("unk_id", .int(3)),
                               ("vocab", .array(vocabulary.map { .array([.string($0.0), .double($0.1)]) })),
                               ("byte_fallback", .bool(false))])),
        ])
    }
}
