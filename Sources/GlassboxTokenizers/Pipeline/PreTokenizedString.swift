/// A token a model produced for one split: its id, and its byte range in the split's normalized
/// text (UTF-8).
struct ModelToken: Sendable {
    var id: Int
    var start: Int
    var end: Int
}

/// The input cut into splits (`PreTokenizedString` in the reference). Added tokens are splits
/// that already carry their token; pre-tokenizers cut the others further; the model tokenizes
/// each remaining split; `encoding` turns the result into ids with original byte offsets.
struct PreTokenizedString: Sendable {
    struct Split: Sendable {
        var normalized: NormalizedString
        /// Set once tokenized (added tokens are tokenized from the start).
        var tokens: [ModelToken]?
        /// The token strings, when they are not the vocabulary's pieces (added tokens).
        var values: [String]?
    }

    var splits: [Split]

    init(_ normalized: NormalizedString) {
        splits = [Split(normalized: normalized, tokens: nil, values: nil)]
    }

    init(splits: [Split]) {
        self.splits = splits
    }

    /// Cuts every split without tokens with `body`; empty results are dropped (`split`).
    mutating func split(_ body: (NormalizedString) throws -> [NormalizedString]) rethrows {
        var out: [Split] = []
        out.reserveCapacity(splits.count)
        for split in splits {
            if split.tokens != nil { out.append(split); continue }
            for piece in try body(split.normalized) where !piece.isEmpty {
                out.append(Split(normalized: piece, tokens: nil, values: nil))
            }
        }
        splits = out
    }

    /// Changes every split without tokens in place.
    mutating func normalize(_ body: (inout NormalizedString) throws -> Void) rethrows {
        for i in splits.indices where splits[i].tokens == nil {
            try body(&splits[i].normalized)
        }
    }
}
