import Foundation
import Glassbox

/// The k largest logits with their softmax probabilities over the whole row.
enum TopK {
    struct Entry {
        let index: Int
        let logit: Float
        let probability: Float
    }

    static func softmaxTop(_ logits: [Float], k: Int) -> [Entry] {
        let maxLogit = logits.max() ?? 0
        var total = 0.0
        for x in logits { total += exp(Double(x - maxLogit)) }
        let order = logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
        return order.prefix(k).map { i in
            Entry(index: i, logit: logits[i], probability: Float(exp(Double(logits[i] - maxLogit)) / total))
        }
    }

    /// The k largest logits with their scores under `scores` (`probability` holds the sigmoid or the
    /// raw logit for a classifier that is not a softmax; every function ranks as the logits do).
    static func top(_ logits: [Float], k: Int, scores: ClassScoreFunction) -> [Entry] {
        softmaxTop(logits, k: k).map { entry in
            scores.elementwiseScore(entry.logit).map { Entry(index: entry.index, logit: entry.logit, probability: $0) } ?? entry
        }
    }
}
