import Foundation

extension FastTokenizerOverrides.Family {
    /// The special tokens the class's `__init__` supplies when neither `tokenizer_config.json` nor
    /// `special_tokens_map.json` names them (`transformers` 4.53.3 signatures), keyed on the
    /// attribute (`bos_token`, …); a default of `None` is absent.
    var defaultSpecialTokens: [String: String] {
        switch self {
        case .llama: ["bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"]
        case .gemma: ["bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>"]
        case .gptNeoX, .gpt2, .codeGen: ["bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"]
        case .qwen2: ["eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"]
        case .roberta, .xlmRoberta, .camembert: ["bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
                        "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"]
        case .bert, .distilBert, .electra: ["unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                                  "cls_token": "[CLS]", "mask_token": "[MASK]"]
        case .t5: ["eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"]
        case .bloom: ["bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"]
        case .cohere: ["bos_token": "<BOS_TOKEN>", "eos_token": "<|END_OF_TURN_TOKEN|>", "unk_token": "<UNK>"]
        }
    }

    /// The `additional_special_tokens` the class's `__init__` supplies when no file names them:
    /// CamemBERT's three `…NOTUSED` pieces (ids 0, 2, 4 of its converted vocabulary); none for the others.
    var defaultAdditionalSpecialTokens: [String] {
        self == .camembert ? ["<s>NOTUSED", "</s>NOTUSED", "<unk>NOTUSED"] : []
    }
}

extension FastTokenizerOverrides {
    /// The class-default special tokens of `directory` that no file names: the
    /// ``Family/defaultSpecialTokens`` of the class `AutoTokenizer` picks
    /// (``tokenizerClass(tokenizerConfig:directory:)``; `tokenizerConfig` is the parsed
    /// `tokenizer_config.json`, `nil` when there is none) for each attribute `config` (the merged
    /// files) does not have, even as null. Empty for a class Glassbox does not handle.
    static func unnamedDefaultSpecialTokens(tokenizerConfig: JSONValue?, config: TokenizerConfig,
                                            directory: URL) throws -> [String: String] {
        guard let name = try tokenizerClass(tokenizerConfig: tokenizerConfig ?? .object([]), directory: directory),
              let family = family(tokenizerClass: name)
        else { return [:] }
        return family.defaultSpecialTokens.filter { config.value($0.key) == nil }
    }
}
