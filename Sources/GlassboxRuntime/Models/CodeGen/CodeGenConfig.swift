import Foundation

/// `config.json` of CodeGen (`model_type` `codegen`: Salesforce's codegen-350M/2B/6B/16B -mono,
/// -multi, -nl), with the defaults of transformers 4.53.3's `CodeGenConfig`. Its block is GPT-J's
/// (`CodeGenBlock` is "Copied from GPTJBlock"; the same keys, defaults and `attribute_map`), so
/// the fields decode as ``GPTJConfig`` and run on GPT-J's architecture. Only the attention's
/// projections differ (one fused `qkv_proj` in `mp_num = 4` shards, see `CodeGenLoader`), and
/// transformers reads three things GPT-J does not, refused here where it fails:
///   - `n_head` must be a multiple of 4: `CodeGenAttention._split_heads` views each of the 4
///     shards as `n_head // 4` heads, which is a shape error otherwise.
///   - `rotary_dim` must not be null: `CodeGenModel.__init__` computes
///     `min(config.rotary_dim, config.n_ctx // n_head)` (a TypeError on None; the result is
///     unused). GPT-J's other `rotary_dim` checks apply (positive, even, at most `dh`).
///   - `n_ctx` (default 2048) only enters that `min`: any number loads, null is refused.
public struct CodeGenConfig: Decodable, Sendable, Equatable {
    /// The GPT-J fields (`GPTJConfig`), read with the same keys and defaults.
    public var gptj: GPTJConfig
    /// `n_ctx`: unused by the forward (default 2048).
    public var nCtx: Double

    enum CodingKeys: String, CodingKey {
        case nCtx = "n_ctx"
        case rotaryDim = "rotary_dim"
        case useCache = "use_cache"
    }

    /// Decodes `config.json`: `rotary_dim` null refused first (before GPT-J's own null rule, which
    /// accepts it for one head) and a truthy `use_cache` other than `true` (`CodeGenModel.forward`
    /// keeps its cache only when `use_cache is True`, as GPT-J's; named here so that the message names
    /// CodeGen's class), then GPT-J's fields, `n_head` a multiple of 4 and `n_ctx` a number.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if c.contains(.rotaryDim), try c.decodeNil(forKey: .rotaryDim) {
            throw ConfigValidationError(key: "rotary_dim", detail:
                "is null, which CodeGenModel.__init__ cannot take (min(config.rotary_dim, n_ctx // n_head) is a TypeError on None); give an even number of rotated dimensions ≤ the head width")
        }
        try c.refuseTruthyOtherThanTrue(.useCache, forward: "CodeGenModel")
        gptj = try GPTJConfig(from: decoder)
        guard gptj.nHead % 4 == 0 else {
            throw ConfigValidationError(key: "n_head", detail:
                "(\(gptj.nHead)) must be a multiple of 4: CodeGenAttention splits qkv_proj into mp_num = 4 shards of n_head / 4 heads each")
        }
        nCtx = try c.value(refusingNull: .nCtx, default: 2048)
    }

    /// GPT-J's architecture (``GPTJConfig/architecture(modelType:)``) named `codegen`.
    func architecture() -> Architecture { gptj.architecture(modelType: "codegen") }
}
