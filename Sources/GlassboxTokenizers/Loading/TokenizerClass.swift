import Foundation
import GlassboxFiles

extension FastTokenizerOverrides {
    /// The fast tokenizer class `transformers` 4.53.3's `TOKENIZER_MAPPING_NAMES` gives each
    /// `model_type` Glassbox runs, and T5's (whose folders `tokenize` reads), `AutoTokenizer`'s
    /// choice when no `tokenizer_class` is named.
    static let classByModelType: [String: String] = [
        "bert": "BertTokenizerFast", "distilbert": "DistilBertTokenizerFast",
        "falcon": "PreTrainedTokenizerFast",
        "gemma": "GemmaTokenizerFast", "gemma2": "GemmaTokenizerFast", "gemma3": "GemmaTokenizerFast",
        "gemma3_text": "GemmaTokenizerFast",
        "gpt2": "GPT2TokenizerFast", "gpt_neox": "GPTNeoXTokenizerFast", "olmo2": "GPTNeoXTokenizerFast",
        "gptj": "GPT2TokenizerFast",
        "llama": "LlamaTokenizerFast", "mistral": "LlamaTokenizerFast", "mixtral": "LlamaTokenizerFast",
        "phi": "CodeGenTokenizerFast", "phi3": "LlamaTokenizerFast", "qwen2": "Qwen2TokenizerFast", "qwen3": "Qwen2TokenizerFast",
        "roberta": "RobertaTokenizerFast", "t5": "T5TokenizerFast",
        "xlm-roberta": "XLMRobertaTokenizerFast", "camembert": "CamembertTokenizerFast",
        "gpt_neo": "GPT2TokenizerFast",
        "bloom": "BloomTokenizerFast",
        "opt": "GPT2TokenizerFast",
        "stablelm": "GPTNeoXTokenizerFast",
        "qwen2_moe": "Qwen2TokenizerFast", "qwen3_moe": "Qwen2TokenizerFast",
        "gpt_bigcode": "GPT2TokenizerFast",
        "cohere": "CohereTokenizerFast", "cohere2": "CohereTokenizerFast",
        "olmoe": "GPTNeoXTokenizerFast",
        "starcoder2": "GPT2TokenizerFast",
        "olmo": "GPTNeoXTokenizerFast",
        "smollm3": "PreTrainedTokenizerFast",
        "glm": "PreTrainedTokenizerFast", "glm4": "PreTrainedTokenizerFast",
        "arcee": "LlamaTokenizerFast",
        "nemotron": "PreTrainedTokenizerFast",
        "helium": "PreTrainedTokenizerFast",
        "mpt": "GPTNeoXTokenizerFast",
        "modernbert": "PreTrainedTokenizerFast",
        "codegen": "CodeGenTokenizerFast",
        "phimoe": "LlamaTokenizerFast",
        "electra": "ElectraTokenizerFast",
        "albert": "AlbertTokenizerFast",
    ]

    /// The tokenizer class `AutoTokenizer.from_pretrained` picks for `directory`, in its order:
    /// `tokenizerConfig`'s (the parsed `tokenizer_config.json`) `tokenizer_class`, else
    /// `config.json`'s `tokenizer_class`, else the class of `config.json`'s `model_type`
    /// (``classByModelType``). `nil` when none applies (no `config.json`, or a `model_type` not in
    /// the table). A `tokenizer_class` or `model_type` that is neither a string nor null is a
    /// `malformedFile` error naming the file and key.
    static func tokenizerClass(tokenizerConfig: JSONValue, directory: URL) throws -> String? {
        let configFile = directory.appendingPathComponent("tokenizer_config.json").path
        if let name = try string("tokenizer_class", in: tokenizerConfig, file: configFile) { return name }
        guard let modelConfig = try modelConfig(directory) else { return nil }
        let modelConfigPath = directory.appendingPathComponent("config.json").path
        if let name = try string("tokenizer_class", in: modelConfig, file: modelConfigPath) { return name }
        return try string("model_type", in: modelConfig, file: modelConfigPath).flatMap { classByModelType[$0] }
    }

    /// `tokenizer_config.json` of `directory` parsed, `nil` when absent.
    static func tokenizerConfig(_ directory: URL) throws -> JSONValue? {
        let url = directory.appendingPathComponent("tokenizer_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try JSONValue.parse(try LegacyFiles.read(url), file: url.path)
    }

    /// `config.json` of `directory` parsed, `nil` when absent.
    static func modelConfig(_ directory: URL) throws -> JSONValue? {
        let url = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try JSONValue.parse(try InputFile.readJSON(url, limit: InputLimits.configFileBytes), file: url.path)
    }

    /// The string member `key` of `object`; `nil` if absent or null.
    private static func string(_ key: String, in object: JSONValue, file: String) throws -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let other?: throw TokenizerError.malformedFile(file: file, detail: "'\(key)' must be a string, found \(other.kindName)")
        }
    }
}
