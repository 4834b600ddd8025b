import ArgumentParser
import Foundation
import Glassbox

/// How gradient methods seed the target's logits (docs/methods.md §2.4).
enum SeedOption: String, ExpressibleByArgument, CaseIterable {
    /// +1 at the target logit (LXT's default, so scores match LXT).
    case logit
    /// +1 at the target and −1/V at every other output (LXT's GPT-2 docs, after Gu et al. 2018).
    case contrastive
}

/// `--compare`: the second input, whose pooled embedding the explained input is compared with.
struct Comparison {
    let input: ModelInput
    /// Its text (`--compare`), or its tokens' display texts (`--compare-ids`).
    let text: String
    let ids: [Int]
    /// How both inputs' final hidden states are pooled: the checkpoint's sentence-transformers
    /// `modules.json` and pooling config, or mean pooling without them.
    let pooling: EmbeddingPooling

    /// The text tokenized like the prompt (special tokens included), or the ids as given.
    static func prepare(_ loaded: LoadedModel, text: String?, ids: String?) throws -> Comparison? {
        if let ids {
            let parsed = try InputOptions.parseIDs(ids)
            return Comparison(input: .tokens(parsed, types: nil), text: parsed.map(loaded.text).joined(), ids: parsed,
                              pooling: try EmbeddingPooling.load(directory: loaded.directory.url))
        }
        guard let text else { return nil }
        guard !text.isEmpty else { throw CLIError.emptyInput }
        let encoding = try loaded.context.encode(text)
        guard !encoding.isEmpty else { throw CLIError.promptWithoutTokens(text) }
        return Comparison(input: .tokens(encoding.ids, types: encoding.typeIDs), text: text, ids: encoding.ids,
                          pooling: try EmbeddingPooling.load(directory: loaded.directory.url))
    }
}

/// What a gradient method explains, as the options chose it: the target's logit (`--seed logit`),
/// LXT's contrastive seed, logit(target) − logit(contrast), or the cosine similarity to a second
/// input; with the JSON `"parameters"` that record the choice.
struct GradientObjective {
    let target: RelevanceTarget
    let parameters: [String: String]

    init(seed: SeedOption?, target resolved: ResolvedTarget, comparison: Comparison?, modelType: String) throws {
        if let comparison {
            target = .similarity(to: comparison.input, measure: .cosine, pooling: comparison.pooling)
            parameters = ["seed": "similarity", "similarity": SimilarityMeasure.cosine.rawValue, "compare": comparison.text,
                          "compareIds": comparison.ids.map(String.init).joined(separator: ","),
                          "pooling": comparison.pooling.description]
            return
        }
        guard let id = resolved.id else { throw TargetProblem.noHead(modelType) }
        if let contrast = resolved.contrast {
            target = .contrast(id, minus: contrast.id, position: resolved.position)
            parameters = ["seed": "contrast", "contrast": "\(contrast.id)", "contrastText": contrast.text]
        } else if seed == .contrastive {
            target = .contrastive(id, position: resolved.position)
            parameters = ["seed": "contrastive"]
        } else {
            target = .token(id, position: resolved.position)
            parameters = ["seed": "logit"]
        }
    }
}
