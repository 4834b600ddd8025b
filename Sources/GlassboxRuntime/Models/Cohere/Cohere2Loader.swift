import Foundation
import GlassboxModelIO

/// Command R7B (`Cohere2ForCausalLM`, names under `model.`; bare `Cohere2Model`): Cohere's tensors
/// without QK-norms (`Cohere2Attention` has none), loaded as `CohereLoader` loads them (parallel
/// block on one `input_layernorm`, `logit_scale` folded into `W_U`), into `Cohere2Config`'s
/// architecture: sliding-window layers that rotate, full layers that do not.
enum Cohere2Loader: ArchitectureLoader {
    static let modelTypes = ["cohere2"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(Cohere2Config.self, from: configData, file: configFile)
        let arch = config.architecture()
        return (arch, try CohereLoader.weights(config.base, arch, checkpoint: checkpoint, directory: directory))
    }
}
