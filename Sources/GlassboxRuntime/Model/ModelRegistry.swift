import Foundation
import GlassboxModelIO

/// Builds one family's typed architecture and weights from its config and checkpoint.
protocol ArchitectureLoader: Sendable {
    /// The `model_type` values this loader handles.
    static var modelTypes: [String] { get }
    /// `head`: what `config.json`'s `architectures` asks for (`HeadClass`); nil leaves it to
    /// the weight names. Decoder loaders build their LM head either way.
    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights)
}

/// `model_type` → loader. An unknown type is an error listing the supported ones.
public enum ModelRegistry {
    static let loaders: [any ArchitectureLoader.Type] = [GPT2Loader.self, BertLoader.self, LlamaLoader.self, ViTLoader.self,
                                                         GPTNeoXLoader.self, Phi3Loader.self, MixtralLoader.self,
                                                         RobertaLoader.self, DistilBertLoader.self, GemmaLoader.self,
                                                         OLMo2Loader.self,
                                                         PhiLoader.self,
                                                         GPTJLoader.self,
                                                         FalconLoader.self,
                                                         GPTNeoLoader.self,
                                                         BloomLoader.self,
                                                         OPTLoader.self,
                                                         QwenMoELoader.self,
                                                         GPTBigCodeLoader.self,
                                                         StableLMLoader.self,
                                                         CohereLoader.self, Cohere2Loader.self,
                                                         OLMoELoader.self,
                                                         GraniteMoELoader.self,
                                                         Starcoder2Loader.self,
                                                         OLMoLoader.self,
                                                         GlmLoader.self,
                                                         ArceeLoader.self,
                                                         NemotronLoader.self,
                                                         HeliumLoader.self,
                                                         MptLoader.self,
                                                         ModernBertLoader.self,
                                                         CodeGenLoader.self,
                                                         PhiMoELoader.self,
                                                         ElectraLoader.self,
                                                         AlbertLoader.self]

    /// The `model_type` values Glassbox can load.
    public static var supportedModelTypes: [String] { loaders.flatMap { $0.modelTypes }.sorted() }

    static func loader(for modelType: String) throws -> any ArchitectureLoader.Type {
        guard let loader = loaders.first(where: { $0.modelTypes.contains(modelType) }) else {
            throw LoadError.unsupportedModelType(modelType, supported: supportedModelTypes)
        }
        return loader
    }
}
