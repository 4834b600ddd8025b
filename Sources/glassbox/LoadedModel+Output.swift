import Foundation
import Glassbox

extension LoadedModel {
    /// The output of the model's head that `--OPTION-id` or `--OPTION` names, nil when neither is
    /// given: an id in `0..<count`, else a class label of `labels`, else a text that is exactly one
    /// token of the model's vocabulary and one of its `count` outputs (a special token the tokenizer
    /// added past `vocab_size` is not). Shared by `--target`/`--contrast` of explain (single step
    /// and sequence) and `--answer`/`--wrong` of patch, so their messages are the same.
    func outputID(text: String?, id: Int?, option: String, labels: [String]?, count: Int) throws -> Int? {
        if let id {
            guard id >= 0 && id < count else { throw TargetProblem.idOutOfRange(id, count: count, option: option + "-id") }
            return id
        }
        guard let text else { return nil }
        if let labels {
            guard let index = labels.firstIndex(of: text) else { throw TargetProblem.unknownLabel(text, labels: labels) }
            return index
        }
        let ids = try tokenizer.get().encode(text, addSpecialTokens: false).ids
        guard ids.count == 1 else { throw TargetProblem.notOneToken(text, pieces: ids.map(self.text), option: option) }
        guard ids[0] < count else { throw TargetProblem.tokenOutsideOutputs(text, id: ids[0], count: count, option: option) }
        return ids[0]
    }
}
