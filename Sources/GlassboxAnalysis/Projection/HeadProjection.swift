import GlassboxRuntime
import GlassboxTensor

/// Which per-head matrix to read (Dar et al., ACL 2023, §3, Table 1).
public enum HeadMatrix: String, Sendable, Codable, CaseIterable {
    /// `W_VO = W_V^h·W_O^h [d, d]`; entry `(a, b)` of `E_r·W_VO·E_wᵀ`: attending to token `a`
    /// promotes token `b` in the output.
    case ov
    /// `W_QK = W_Q^h·W_K^hᵀ [d, d]`; entry `(a, b)` of `E_r·W_QK·E_rᵀ`: query token `a` attends to key
    /// token `b`. Raw weights: no `1/√dh`, no biases, and no rotary embedding (for RoPE models the
    /// reading holds at relative distance 0 only).
    case qk
}

/// One entry of a vocabulary × vocabulary head matrix.
public struct TokenPair: Sendable, Equatable, Codable {
    /// Row token: the attended token (OV) or the query token (QK).
    public let from: Int
    /// Display text of `from`; nil when no texts were given.
    public let fromText: String?
    /// Column token: the promoted token (OV) or the key token (QK).
    public let to: Int
    /// Display text of `to`; nil when no texts were given.
    public let toText: String?
    /// The entry `M[from, to]` of `E_r·W·E_cᵀ` (raw weights, no scaling).
    public let score: Float
}

/// The top token pairs of one head's `W_VO` or `W_QK` in embedding space.
public struct PairProjection: Sendable, Equatable, Codable {
    /// `"embedding-projection"`.
    public let method: String
    /// Provenance: k, order, filter, embedding choice, the matrices read, `excludeSameToken` and
    /// whether the reading is approximate.
    public let parameters: [String: String]
    /// Index of the layer, 0-based.
    public let layer: Int
    /// Index of the query head, 0-based.
    public let head: Int
    /// Which matrix was read: `W_VO` or `W_QK`.
    public let matrix: HeadMatrix
    /// Best first: largest entries, or most negative with `largest: false`.
    public let pairs: [TokenPair]
}

/// Per-head `W_VO` / `W_QK` read as token pairs (Dar et al., ACL 2023, §3 and their
/// `exploration.ipynb`): `M = E_r · W · E_cᵀ`, computed as the rank-`dh` product
/// `(E_r·A) · (E_c·B)ᵀ` in row blocks (`PairTopK`), so the `V × V` matrix is never held.
public enum HeadProjection {
    /// The two `[V, dh]` factors of `M = left · rightᵀ`, with the vocabulary each side is read in.
    /// OV: `left = E_r·W_V^g`, `right = E_w·W_O^hᵀ`; QK: `left = E_r·W_Q^h`, `right = E_r·W_K^g`,
    /// where `g = h ÷ (H/Hkv)` is the key/value head of query head `h` (GQA).
    static func factors(_ model: TransformerModel, layer: Int, head: Int, matrix: HeadMatrix,
                        space: EmbeddingSpace) -> (left: Tensor, right: Tensor) {
        let arch = model.architecture
        let attention = model.weights.blocks[layer].attention
        let dh = arch.headDim
        let g = head / (arch.heads / arch.kvHeads)
        switch matrix {
        case .ov:
            let wv = WeightSlices.headReader(attention.value, head: g, headDim: dh)          // [d, dh]
            let wo = WeightSlices.headWriter(attention.output, head: head, headDim: dh)      // [dh, d]
            return (matmul(space.readers, wv), matmul(space.writers, wo, transposeB: true))  // [V, dh] each
        case .qk:
            let wq = WeightSlices.headReader(attention.query, head: head, headDim: dh)
            let wk = WeightSlices.headReader(attention.key, head: g, headDim: dh)
            return (matmul(space.readers, wq), matmul(space.readers, wk))
        }
    }

    /// The top `k` token pairs of one head.
    ///
    /// - Parameters:
    ///   - filter: applied to both tokens of a pair (rows and columns are filtered before the product).
    ///   - excludeSameToken: drop `(a, a)` (Dar et al. drop same-token pairs from their tables).
    ///   - largest: `false` lists the most negative entries.
    ///   - texts: display strings per id (class names are used for a ViT's class space).
    public static func pairs(_ model: TransformerModel, layer: Int, head: Int, matrix: HeadMatrix, k: Int = 100,
                             filter: TokenFilter = .all, excludeSameToken: Bool = true, largest: Bool = true,
                             embedding: EmbeddingChoice = .standard, texts: [String]? = nil,
                             blockRows: Int? = nil) throws -> PairProjection {
        try check(model, layer: layer, head: head, matrix: matrix)
        guard k >= 1 else { throw AnalysisError.invalidOption("k must be at least 1, got \(k)") }
        let space = try EmbeddingSpace.resolve(model, embedding)
        var (left, right) = factors(model, layer: layer, head: head, matrix: matrix, space: space)
        let rowIDs = filter.allowedIDs(count: left.shape[0])
        let columnIDs = filter.allowedIDs(count: right.shape[0])
        if !filter.isAll { (left, right) = (left.gatherRows(rowIDs), right.gatherRows(columnIDs)) }
        let hits = PairTopK.search(rows: left, columns: right, rowIDs: rowIDs, columnIDs: columnIDs, k: k,
                                   excludeSame: excludeSameToken, largest: largest, blockRows: blockRows)
        if hits.isEmpty, NonFinite.count(left) + NonFinite.count(right) > 0 {
            // The search ignores NaN: every pair's score is NaN (the head's weights hold NaN or ±Inf).
            throw AnalysisError.invalidOption("every token pair of layer \(layer) head \(head) scores NaN: the head's weights (or the embeddings) hold NaN or ±Inf values")
        }
        let labels = space.texts(texts)
        let pairs = hits.map { hit in
            let (a, b) = (rowIDs[hit.row], columnIDs[hit.column])
            return TokenPair(from: a, fromText: VocabularyTopK.text(of: a, in: labels), to: b,
                             toText: VocabularyTopK.text(of: b, in: labels), score: hit.score)
        }
        let sides = matrix == .ov ? "\(space.readerLabel) → \(space.writerLabel)" : "\(space.readerLabel) → \(space.readerLabel)"
        let parameters = ["k": "\(k)", "filter": filter.label, "embedding": space.choice.rawValue, "matrices": sides,
                          "excludeSameToken": "\(excludeSameToken)", "order": largest ? "largest" : "smallest",
                          "approximate": "\(space.approximate && matrix == .ov)"]
        return PairProjection(method: ParameterProjection.method, parameters: parameters, layer: layer, head: head,
                              matrix: matrix, pairs: pairs)
    }

    /// Row `token` of `M` computed on its own: OV: `(E_r[a]·W_V^g·W_O^h)·E_wᵀ`; QK:
    /// `(E_r[a]·W_Q^h·W_K^gᵀ)·E_rᵀ` → `[V]`. The check of §5.4 compares it with the blockwise matrix.
    public static func row(_ model: TransformerModel, layer: Int, head: Int, matrix: HeadMatrix, token: Int,
                           embedding: EmbeddingChoice = .standard) throws -> [Float] {
        try check(model, layer: layer, head: head, matrix: matrix)
        let space = try EmbeddingSpace.resolve(model, embedding)
        guard token >= 0, token < space.readers.shape[0] else {
            throw AnalysisError.invalidOption("token \(token) is outside the vocabulary (0..<\(space.readers.shape[0]))")
        }
        let arch = model.architecture
        let attention = model.weights.blocks[layer].attention
        let (dh, g) = (arch.headDim, head / (arch.heads / arch.kvHeads))
        let e = space.readers.rows(token..<(token + 1))                                          // [1, d]
        switch matrix {
        case .ov:
            let wv = WeightSlices.headReader(attention.value, head: g, headDim: dh)
            let wo = WeightSlices.headWriter(attention.output, head: head, headDim: dh)
            let written = matmul(matmul(e, wv), wo)                                               // [1, d]
            return matmul(written, space.writers, transposeB: true).storage                       // [V]
        case .qk:
            let wq = WeightSlices.headReader(attention.query, head: head, headDim: dh)
            let wk = WeightSlices.headReader(attention.key, head: g, headDim: dh)
            let query = matmul(matmul(e, wq), wk, transposeB: true)                               // [1, d]
            return matmul(query, space.readers, transposeB: true).storage
        }
    }

    /// Layer and head in range; QK only where `q·kᵀ` is bilinear in the residual stream: QK-norm
    /// (Qwen3) divides each query and key head by its own RMS first, so `W_QK` is not what scores.
    /// Neither OV nor QK where `clip_qkv` clamps q, k and v (OLMo, OLMoE): the clamp acts on the
    /// projections of the normalised residual, whose scale a raw embedding row does not have, so
    /// neither the weights' product nor a clamp of `E·W` is the map the head applies (refused).
    static func check(_ model: TransformerModel, layer: Int, head: Int, matrix: HeadMatrix = .ov) throws {
        let arch = model.architecture
        guard layer >= 0, layer < arch.layers else { throw AnalysisError.layerOutOfRange(layer, layers: arch.layers) }
        guard head >= 0, head < arch.heads else { throw AnalysisError.headOutOfRange(head, heads: arch.heads) }
        if matrix == .qk, model.weights.blocks[layer].attention.queryNorm != nil {
            let scope = arch.qkNormScope == .wholeProjection ? "the whole query and key projections" : "each query and key head"
            throw AnalysisError.invalidOption("the QK projection is not defined for \(arch.modelType): QK-norm normalises \(scope) "
                + "before the scores, so W_Q·W_Kᵀ is not the bilinear form they use; project OV instead")
        }
        if let c = arch.qkvClip {
            let (name, product) = matrix == .ov ? ("OV", "W_V·W_O") : ("QK", "W_Q·W_Kᵀ")
            throw AnalysisError.invalidOption("the \(name) projection is not defined for \(arch.modelType) with clip_qkv \(c): the head "
                + "clamps q, k and v to ±\(c), so \(product) is not the map it applies; project ffn-key or ffn-value instead")
        }
    }
}
