import Glassbox

/// Word or sentence groups of an explained prompt that keep the tokens the tokenizer added.
enum AddedTokenGroups {
    /// `groups` (from `promptGroups`) with every special token — `[CLS]`, `[SEP]`, `<s>`: true in
    /// the encoding's special-tokens mask `special`, in no group — as a group of its own, all in
    /// token order (a group sits at its first token). `special`, `spans` and `texts` are per token
    /// `[n]`. So the entries of `explain --words` and AtMan's `--granularity word|sentence` keep the
    /// added tokens' scores and an entry for a target on one of them (a classifier's `[CLS]`);
    /// whitespace-only tokens still belong to no group, even with an empty span (RoBERTa's
    /// trim_offsets gives a lone space `start == end`, like `<s>`).
    static func including(_ groups: [TokenGroup], special: [Bool], spans: [TokenSpan], texts: [String]) -> [TokenGroup] {
        var owner = [Int?](repeating: nil, count: spans.count)
        for (g, group) in groups.enumerated() {
            for t in group.tokenIndices where t >= 0 && t < owner.count { owner[t] = g }
        }
        var result: [TokenGroup] = []
        var placed = Set<Int>()
        for t in spans.indices {
            if let g = owner[t] {
                if placed.insert(g).inserted { result.append(groups[g]) }
            } else if t < special.count, special[t] {
                result.append(TokenGroup(tokenIndices: [t], span: spans[t], text: texts[t]))
            }
        }
        return result
    }
}
