import Foundation

extension ModelContext {
    /// Checks that every id of `ids` (from this model's tokenizer) has a row in the model's token
    /// embedding (`config.json`'s `vocab_size` rows): a special token the tokenizer added past the
    /// vocabulary (as `transformers` adds one that the files name but the vocabulary lacks) throws
    /// ``ModelContextError/tokenBeyondEmbedding(token:id:position:rows:)`` naming it, where
    /// `transformers` would index the embedding out of range. Negative ids and vision models are
    /// left to the model's own input check.
    public func checkEmbeddingRows(_ ids: [Int]) throws {
        guard architecture.image == nil else { return }
        let rows = architecture.vocabSize
        for (position, id) in ids.enumerated() where id >= rows {
            throw ModelContextError.tokenBeyondEmbedding(token: tokenizer?.token(for: id) ?? "<\(id)>", id: id,
                                                         position: position, rows: rows)
        }
    }
}
