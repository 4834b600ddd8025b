import Foundation

extension ModelContext {
    /// Checks that every id of `ids` (from this model's tokenizer) has a row in the model's token
    /// embedding (`config.json`'s `vocab_size` rows): a special token the tokenizer added past the
    /// vocabulary (as `transformers` adds one that the files name but the vocabulary lacks) throws
    /// ``ModelContextError/tokenBeyondEmbedding(token:id:position:rows:)`` naming it, where
    /// `transformers` would index the embedding out of range; an id of the tokenizer's own
    /// vocabulary (below its `modelVocabularySize`) throws
    /// ``ModelContextError/vocabularyBeyondEmbedding(token:id:position:rows:vocabulary:)`` instead
    /// (a tokenizer larger than the model: most likely another model's). Negative ids and vision
    /// models are left to the model's own input check.
    public func checkEmbeddingRows(_ ids: [Int]) throws {
        guard architecture.image == nil else { return }
        let rows = architecture.vocabSize
        for (position, id) in ids.enumerated() where id >= rows {
            let token = tokenizer?.token(for: id) ?? "<\(id)>"
            if let vocabulary = tokenizer?.modelVocabularySize, id < vocabulary {
                throw ModelContextError.vocabularyBeyondEmbedding(token: token, id: id, position: position, rows: rows,
                                                                  vocabulary: vocabulary)
            }
            throw ModelContextError.tokenBeyondEmbedding(token: token, id: id, position: position, rows: rows)
        }
    }
}
