import GlassboxRuntime

/// Which hook points exact patching takes by name (`PatchingOptions.hooks`): those with one row
/// per token (`[n, …]`) or per head (`attn_scores`, `pattern`, `[H, n, n]`). The head's points
/// after the last block hold one row for the whole run (`[1, …]`: the predicted position, or the
/// pooled `[CLS]` vector), so they have no positions to patch one by one.
public enum PatchableHook {
    /// What `point` holds instead of one row per token or per head, or `nil` when it can be
    /// patched by name.
    public static func singleRow(_ point: HookPoint) -> String? {
        switch point {
        case .unembedIn: "the output layer's input at the predicted position only"
        case .unembedOut: "the logits at the predicted position only"
        case .poolerOut: "one pooled vector for the whole input"
        case .mlmTransform, .mlmLN: "the masked-LM head at the predicted position only"
        default: nil
        }
    }

    /// Throws `PatchingError.hookWithoutPositions` for the first of `points` that `singleRow` names.
    public static func check(_ points: [HookPoint]) throws {
        for point in points {
            if let holds = singleRow(point) { throw PatchingError.hookWithoutPositions(hook: point.name, holds: holds) }
        }
    }
}
