/// The prediction head a `config.json`'s first `architectures` entry asks for (transformers'
/// class name, e.g. `BertForTokenClassification`), as far as Glassbox runs it.
enum RequestedHead: Sendable, Equatable {
    /// Masked-token logits (`…ForMaskedLM`, and `BertForPreTraining` / `AlbertForPreTraining`, whose first output is the same head).
    case maskedLanguageModel
    /// Class logits on one pooled token (`…ForSequenceClassification`, `ViTForImageClassification`):
    /// the first for encoders, the last non-pad one for decoders.
    case sequenceClassification
    /// One logit per token (`ElectraForPreTraining`'s replaced-token detection).
    case replacedTokenDetection
    /// Next-token logits (`…ForCausalLM`, `GPT2LMHeadModel`).
    case languageModel
    /// No head (`BertModel`, `ViTModel`, …). Decoder families keep their tied LM head here, as before.
    case none
}

/// transformers' class names per `model_type` (checked against the 4.53.3 modeling files): which
/// head each supported one maps to, and the ones Glassbox refuses. A name not listed (a custom or
/// another family's class) leaves the head to the weight names, as without `architectures`.
enum HeadClass {
    /// Encoder families: every class of the modeling file, `nil` for a head Glassbox does not run.
    static let encoderClasses: [String: [String: RequestedHead?]] = [
        "bert": ["BertModel": RequestedHead.none, "BertForMaskedLM": .maskedLanguageModel,
                 "BertForPreTraining": .maskedLanguageModel,
                 "BertForSequenceClassification": .sequenceClassification,
                 "BertLMHeadModel": nil, "BertForNextSentencePrediction": nil, "BertForMultipleChoice": nil,
                 "BertForTokenClassification": nil, "BertForQuestionAnswering": nil],
        "roberta": robertaClasses(prefix: "Roberta"),
        "xlm-roberta": robertaClasses(prefix: "XLMRoberta"),
        "camembert": robertaClasses(prefix: "Camembert"),
        "distilbert": ["DistilBertModel": RequestedHead.none, "DistilBertForMaskedLM": .maskedLanguageModel,
                       "DistilBertForSequenceClassification": .sequenceClassification,
                       "DistilBertForQuestionAnswering": nil, "DistilBertForTokenClassification": nil,
                       "DistilBertForMultipleChoice": nil],
        "electra": ["ElectraModel": RequestedHead.none, "ElectraForMaskedLM": .maskedLanguageModel,
                    "ElectraForSequenceClassification": .sequenceClassification,
                    "ElectraForPreTraining": .replacedTokenDetection, "ElectraForCausalLM": nil, "ElectraForTokenClassification": nil,
                    "ElectraForQuestionAnswering": nil, "ElectraForMultipleChoice": nil],
        "modernbert": ["ModernBertModel": RequestedHead.none, "ModernBertForMaskedLM": .maskedLanguageModel, "ModernBertForSequenceClassification": .sequenceClassification, "ModernBertForTokenClassification": nil, "ModernBertForQuestionAnswering": nil],
        "albert": ["AlbertModel": RequestedHead.none, "AlbertForMaskedLM": .maskedLanguageModel,
                   "AlbertForPreTraining": .maskedLanguageModel,
                   "AlbertForSequenceClassification": .sequenceClassification,
                   "AlbertForTokenClassification": nil, "AlbertForQuestionAnswering": nil, "AlbertForMultipleChoice": nil],
        "vit": ["ViTModel": RequestedHead.none, "ViTForImageClassification": .sequenceClassification,
                "ViTForMaskedImageModeling": nil],
    ]

    /// The classes of RoBERTa's modeling file, which XLM-R's and CamemBERT's copy under their own
    /// prefix (`XLMRobertaForMaskedLM`, `CamembertModel`, …).
    static func robertaClasses(prefix: String) -> [String: RequestedHead?] {
        [prefix + "Model": RequestedHead.none, prefix + "ForMaskedLM": .maskedLanguageModel,
         prefix + "ForSequenceClassification": .sequenceClassification,
         prefix + "ForCausalLM": nil, prefix + "ForMultipleChoice": nil,
         prefix + "ForTokenClassification": nil, prefix + "ForQuestionAnswering": nil]
    }

    /// Decoder families: the class-name prefix (`Llama` → `LlamaForCausalLM`, `LlamaModel`).
    static let decoderPrefixes: [String: String] = [
        "gpt2": "GPT2", "gpt_neox": "GPTNeoX", "llama": "Llama", "mistral": "Mistral", "mixtral": "Mixtral",
        "qwen2": "Qwen2", "qwen3": "Qwen3", "gemma": "Gemma", "gemma2": "Gemma2", "gemma3_text": "Gemma3",
        "phi3": "Phi3", "olmo2": "Olmo2", "phi": "Phi",
        "gptj": "GPTJ",
        "falcon": "Falcon",
        "gpt_neo": "GPTNeo",
        "bloom": "Bloom",
        "opt": "OPT",
        "gpt_bigcode": "GPTBigCode",
        "stablelm": "StableLm",
        "qwen2_moe": "Qwen2Moe", "qwen3_moe": "Qwen3Moe",
        "granite": "Granite",
        "cohere": "Cohere", "cohere2": "Cohere2",
        "olmoe": "Olmoe",
        "granitemoe": "GraniteMoe", "granitemoeshared": "GraniteMoeShared",
        "starcoder2": "Starcoder2",
        "olmo": "Olmo",
        "smollm3": "SmolLM3",
        "glm": "Glm", "glm4": "Glm4",
        "arcee": "Arcee",
        "nemotron": "Nemotron",
        "helium": "Helium",
        "mpt": "Mpt",
        "codegen": "CodeGen",
        "phimoe": "Phimoe",
    ]

    /// Composite checkpoints Glassbox runs as their text model: the classes it runs, by
    /// `model_type` (both keep the text model's tied or stored LM head).
    static let textModelClasses: [String: [String]] = [
        "gemma3": ["Gemma3ForConditionalGeneration", "Gemma3Model"],
    ]

    /// Heads of decoder families Glassbox does not run (the class name after the prefix).
    static let decoderUnsupportedSuffixes = [
        "ForSequenceClassification", "ForTokenClassification", "ForQuestionAnswering", "DoubleHeadsModel",
    ]

    /// Decoder families whose `<Prefix>ForSequenceClassification` Glassbox runs
    /// (`DecoderClassifierHead`: their loaders read `score.weight`); the others refuse it.
    static let decoderClassifierTypes: Set<String> = ["gpt2", "llama", "mistral", "qwen2", "qwen3"]

    /// The class names of `modelType` Glassbox runs, sorted (for the refusal).
    static func supported(modelType: String) -> [String] {
        if let classes = encoderClasses[modelType] {
            return classes.filter { $0.value != nil }.keys.sorted()
        }
        if let classes = textModelClasses[modelType] { return classes.sorted() }
        let prefix = decoderPrefixes[modelType] ?? ""
        let model = modelType == "gemma3_text" ? "Gemma3TextModel" : prefix + "Model"
        let classifier = decoderClassifierTypes.contains(modelType) ? [prefix + "ForSequenceClassification"] : []
        return ([modelType == "gpt2" ? "GPT2LMHeadModel" : prefix + "ForCausalLM", model] + classifier).sorted()
    }

    /// The head `architecture` (the first `architectures` entry) asks of a `modelType` model; nil
    /// when there is no entry or it is not one of the family's classes (the weights decide).
    /// Throws `LoadError.unsupportedHead` for a class whose head Glassbox does not run.
    static func requested(by architecture: String?, modelType: String, file: String) throws -> RequestedHead? {
        guard let architecture else { return nil }
        if let classes = encoderClasses[modelType] {
            guard let entry = classes[architecture] else { return nil }
            guard let head = entry else {
                throw LoadError.unsupportedHead(file: file, className: architecture,
                                                supported: supported(modelType: modelType))
            }
            return head
        }
        if let classes = textModelClasses[modelType] { return classes.contains(architecture) ? .languageModel : nil }
        guard let prefix = decoderPrefixes[modelType], architecture.hasPrefix(prefix) else { return nil }
        let suffix = architecture.dropFirst(prefix.count)
        if suffix == "ForSequenceClassification" && decoderClassifierTypes.contains(modelType) { return .sequenceClassification }
        if decoderUnsupportedSuffixes.contains(String(suffix)) {
            throw LoadError.unsupportedHead(file: file, className: architecture, supported: supported(modelType: modelType))
        }
        return supported(modelType: modelType).contains(architecture) ? .languageModel : nil
    }
}
