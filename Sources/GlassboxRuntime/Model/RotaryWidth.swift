/// The lanes transformers rotates for `dim = int(head_dim · partial_rotary_factor)` (GLM's
/// `GlmRotaryEmbedding`, GPT-NeoX's `GPTNeoXRotaryEmbedding` with `apply_rotary_pos_emb`): the cos/sin
/// table is `2 · ceil(dim / 2)` wide (`torch.cat((freqs, freqs))` of `ceil(dim / 2)` frequencies)
/// and each head's first that many lanes are rotated, so an odd `dim` rotates `dim + 1` lanes with
/// the frequencies `base^(−2i / dim)` (``RotaryEmbedding/oddWidth``). A `dim` of 0 makes an empty
/// table (`torch.arange(0, 0, 2)`: no frequency), and apply_rotary_pos_emb's `q[..., :0]` rotates
/// nothing: every lane passes through (``rotatesNothing``; Nemotron, GPT-NeoX, GLM). A negative share
/// whose product truncates to 0 (`int(-0.8)`) is that empty table too; a negative `dim` fails in
/// transformers (``requireNonNegativeRotatedWidth(_:key:)``).
struct RotaryWidth: Equatable {
    /// The rotated lanes (`RotaryEmbedding.dimensions`), even; 0 when nothing rotates.
    let lanes: Int
    /// `dim` when odd, else nil.
    let oddWidth: Int?
    /// `dim` is 0: the heads pass through unrotated (the architecture's position is `.none`).
    var rotatesNothing: Bool { lanes == 0 }

    /// The width of an even `dim` already checked against the head (Phi, StableLM: their
    /// `requireRotatedWidth` refuses odd widths, whose table transformers' forward cannot apply).
    init(evenDim dim: Int) {
        precondition(dim >= 0 && dim % 2 == 0, "RotaryWidth(evenDim:): \(dim) is not a checked even width")
        lanes = dim
        oddWidth = nil
    }

    /// The position embedding of an architecture rotating by `rope`: none when nothing rotates
    /// (the empty table gives no positional signal), else `.rotary(rope)`.
    func position(_ rope: RotaryEmbedding) -> PositionKind {
        rotatesNothing ? .none : .rotary(rope)
    }

    /// The width for `dim`; throws naming `key` where transformers' forward fails (the table wider
    /// than the `headWidth`-wide heads: a size mismatch in `q_rot * cos`) or where Glassbox does not
    /// build the table: an odd `dim` under YaRN, whose `linear_ramp_factor(low, high, dim // 2)` has
    /// one entry fewer than the `ceil(dim / 2)` frequencies (transformers fails on that size mismatch
    /// from dim 5; at dim 1 and 3 torch broadcasts the ramp, which Glassbox does not build). Dynamic
    /// NTK scales the odd table's base with `dim` itself and LongRoPE divides its `ceil(dim / 2)`
    /// frequencies by as many factors (``LongRopeScaling``): both are built.
    init(dim: Int, headWidth: Int, scaling: RopeScaling, key: String) throws {
        lanes = dim % 2 == 0 ? dim : dim + 1
        oddWidth = dim % 2 == 0 ? nil : dim
        guard lanes <= headWidth else {
            throw ConfigValidationError(key: key, detail:
                "gives int(head_dim · share) = \(dim) rotated dimensions, a \(lanes)-wide rotary table for heads \(headWidth) wide: transformers' forward fails on the size mismatch")
        }
        if oddWidth != nil, case .yarn = scaling {
            throw ConfigValidationError(key: key, detail:
                "gives an odd number (\(dim)) of rotated dimensions, which Glassbox does not build under yarn rope_scaling: its ramp has dim // 2 = \(dim / 2) entries for \((dim + 1) / 2) frequencies (transformers fails on that size mismatch from dim 5 and broadcasts it below)")
        }
    }
}

/// Throws naming `key` when `product = head_dim · share` truncates to a negative
/// `dim = int(product)`: transformers' rotary setup (`_compute_default_rope_parameters` and every
/// scaled variant) calls `torch.arange(0, dim, 2)`, which raises "upper bound and lower bound
/// inconsistent with step sign". A negative product above −1 truncates to 0 and passes: an empty
/// table, nothing rotates (transformers runs it).
func requireNonNegativeRotatedWidth(_ product: Double, key: String) throws {
    guard product > -1 else {
        throw ConfigValidationError(key: key, detail:
            "gives int(head_dim · share) = \(configNumber(product.rounded(.towardZero))) rotated dimensions: transformers' rotary setup fails on torch.arange(0, dim, 2) with a negative dim")
    }
}

extension RopeScaling {
    /// transformers' `rope_type` of the scaling; nil when unscaled.
    var name: String? {
        switch self {
        case .none: nil
        case .linear: "linear"
        case .dynamic: "dynamic"
        case .llama3: "llama3"
        case .longrope: "longrope"
        case .yarn: "yarn"
        }
    }
}
