import Foundation
import GlassboxModelIO
import GlassboxTensor

/// ELECTRA (`ElectraModel`, `ElectraForPreTraining`, `ElectraForMaskedLM`,
/// `ElectraForSequenceClassification`): BERT's
/// encoder under `electra.` on `embedding_size`-wide embedding tables and LayerNorm, projected to
/// the residual width by `embeddings_project` when the widths differ (docs/methods.md §0.5). The
/// head is the one `architectures` names (`head`; the other heads' weights are ignored, as
/// transformers ignores unexpected keys), else chosen by the tensors present:
/// - `generator_predictions.*` (the generator): dense `d → E`, GELU (`get_activation("gelu")`,
///   whatever `hidden_act`), LayerNorm over `E`, then `generator_lm_head` `E → V`, its weight the
///   word table unless one is stored;
/// - `classifier.dense` / `classifier.out_proj` (`ElectraClassificationHead`): dense on the first
///   token, GELU (again not `hidden_act`), out_proj — held as a pooler with a GELU activation and
///   the output layer, so `pooler.hook_out` is the head's GELU;
/// - `discriminator_predictions.*` (`ElectraForPreTraining`, the discriminator): dense `d → d`,
///   `hidden_act`, `dense_prediction` `d → 1`: one replaced-token logit per position
///   (`HeadKind.replacedTokenDetection`; `mlm_head.hook_transform` is the activation's output);
/// - none: the bare encoder.
enum ElectraLoader: ArchitectureLoader {
    static let modelTypes = ["electra"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(ElectraConfig.self, from: configData, file: configFile)
        let prefix = checkpoint.contains("electra.embeddings.word_embeddings.weight") ? "electra." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        var arch = config.architecture(head: .none)
        let (d, e) = (arch.dModel, config.embeddingSize)

        func linear(_ name: String, _ inputs: Int, _ outputs: Int) throws -> Linear {
            try r.linearWithBias(name, inputs, outputs, prefixed: false)
        }

        var embeddings = try r.bertEmbeddings(arch, width: e, positions: arch.contextLength)
        if config.projectsEmbeddings {
            embeddings.projection = try r.linearWithBias("embeddings_project", e, d)
        }
        let blocks = try r.bertEncoderBlocks(arch)

        let masked = head.map { $0 == .maskedLanguageModel } ?? checkpoint.contains("generator_predictions.dense.weight")
        let classifier = head.map { $0 == .sequenceClassification } ?? checkpoint.contains("classifier.out_proj.weight")
        let detects = head.map { $0 == .replacedTokenDetection }
            ?? checkpoint.contains("discriminator_predictions.dense_prediction.weight")
        // Without `architectures` naming a class, two heads' weights leave the choice open (TwoHeads' refusal, three heads).
        let present = [(masked, "generator_predictions.*", "ElectraForMaskedLM"), (classifier, "classifier.*", "ElectraForSequenceClassification"),
                       (detects, "discriminator_predictions.*", "ElectraForPreTraining")].filter(\.0)
        if head == nil, present.count > 1 {
            throw LoadError.invalidConfig(file: configFile.path, key: "architectures", detail:
                "names no electra class Glassbox runs, and the weights hold \(present.count) heads (\(present.map(\.1).joined(separator: ", "))); "
                + "set it to one of \(present.map { "[\"\($0.2)\"]" }.joined(separator: ", ")) to choose one")
        }
        var headWeights = HeadWeights(finalNorm: nil, pooler: nil, transform: nil, transformNorm: nil, unembed: nil)
        if detects {
            arch.head = .replacedTokenDetection
            headWeights = HeadWeights(finalNorm: nil, pooler: nil, transform: try linear("discriminator_predictions.dense", d, d),
                                      transformNorm: nil, unembed: try linear("discriminator_predictions.dense_prediction", d, 1))
        } else if masked {
            arch.head = .maskedLanguageModel
            let mlm = try r.maskedLanguageModelHead(
                MaskedLMHeadNames(transform: "generator_predictions.dense", norm: "generator_predictions.LayerNorm",
                                  decoderWeight: "generator_lm_head.weight", decoderBiases: ["generator_lm_head.bias"]),
                norm: arch.norm, width: d, wordEmbeddings: embeddings.token)
            headWeights = HeadWeights(finalNorm: nil, pooler: nil, transform: mlm.transform,
                                      transformNorm: mlm.norm, unembed: mlm.decoder)
            headWeights.transformActivation = .gelu            // ElectraGeneratorPredictions: get_activation("gelu")
        } else if classifier {
            let labels = config.bert.labels
            try r.checkClassRows(labels, outputWeight: "classifier.out_proj.weight", configFile: configFile)
            headWeights = HeadWeights(finalNorm: nil, pooler: try linear("classifier.dense", d, d), transform: nil,
                                      transformNorm: nil, unembed: try linear("classifier.out_proj", d, labels.count))
            headWeights.poolerActivation = .model(.gelu)       // ElectraClassificationHead: get_activation("gelu")
            arch.head = .sequenceClassification(labels: labels)
        }
        // Weights of the heads `architectures` did not ask for.
        let otherHeads = head == nil ? [] : [#"classifier\..*"#, #"generator_.*"#, #"discriminator_predictions\..*"#]
        try r.finish(ignorable: [#"(electra\.)?embeddings\.(position_ids|token_type_ids)"#] + otherHeads)
        return (arch, TransformerWeights(embeddings: embeddings, blocks: blocks, head: headWeights))
    }
}
