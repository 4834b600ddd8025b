import Glassbox

/// Word or sentence groups of an explained prompt that keep the tokens the tokenizer added.
enum AddedTokenGroups {
    /// `groups` (from `promptGroups`) with every token the tokenizer added — `[CLS]`, `[SEP]`,
    /// `<s>`: an empty span (`start == end`), in no group — as a group of its own, all in token
    /// order (a group sits at its first token). `spans` and `texts` are per token `[n]`. So the
    /// entries of `explain --words` and AtMan's `--granularity word|sentence` keep the added
    /// tokens' scores and an entry for a target on one of them (a classifier's `[CLS]`);
    /// whitespace-only tokens still belong to no group.
    static func including(_ groups: [TokenGroup], spans: [TokenSpan], texts: [String]) -> [TokenGroup] {
        var owner = [Int?](repeating: nil, count: spans.count)
        for (g, group) in groups.enumerated() {
            for t in group.tokenIndices where t >= 0 && t < owner.count { owner[t] = g }
        }
        var result: [TokenGroup] = []
        var placed = Set<Int>()
        for t in spans.indices {
            if let g = owner[t] {
                if placed.insert(g).inserted { result.append(groups[g]) }
            } else if spans[t].start == spans[t].end {
                result.append(TokenGroup(tokenIndices: [t], span: spans[t], text: texts[t]))
            }
        }
        return result
    }
}
