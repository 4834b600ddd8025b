import Foundation

/// A piece of a string: matched by a pattern, or between matches.
struct PatternMatch: Sendable {
    var range: Range<Int>
    var isMatch: Bool
}

/// What splits a string: a regex (Oniguruma semantics), or a per-character predicate (each
/// matching character is its own match, as Rust `Fn(char) -> bool` patterns behave).
enum SplitPattern: Sendable {
    case regex(Regex)
    case predicate(@Sendable (Unicode.Scalar) -> Bool)
    /// Matches become gaps and gaps matches.
    indirect case inverted(SplitPattern)

    /// The pieces of `scalars`, covering all of it, in order (`find_matches` in the reference).
    /// Throws `regexBudgetExceeded` if a regex takes too long on this text.
    func findMatches(in scalars: [Unicode.Scalar]) throws -> [PatternMatch] {
        if case .inverted(let inner) = self {
            return try inner.findMatches(in: scalars).map { PatternMatch(range: $0.range, isMatch: !$0.isMatch) }
        }
        if scalars.isEmpty { return [PatternMatch(range: 0..<0, isMatch: false)] }
        switch self {
        case .inverted: return []
        case .regex(let regex):
            var out: [PatternMatch] = []
            var previous = 0
            for m in try regex.matches(in: scalars) {
                if previous != m.lowerBound { out.append(PatternMatch(range: previous..<m.lowerBound, isMatch: false)) }
                out.append(PatternMatch(range: m, isMatch: true))
                previous = m.upperBound
            }
            if previous != scalars.count { out.append(PatternMatch(range: previous..<scalars.count, isMatch: false)) }
            return out
        case .predicate(let test):
            var out: [PatternMatch] = []
            var last = 0
            for (i, s) in scalars.enumerated() where test(s) {
                if last < i { out.append(PatternMatch(range: last..<i, isMatch: false)) }
                out.append(PatternMatch(range: i..<(i + 1), isMatch: true))
                last = i + 1
            }
            if last < scalars.count { out.append(PatternMatch(range: last..<scalars.count, isMatch: false)) }
            return out
        }
    }
}

/// What happens to the delimiters when splitting (`SplitDelimiterBehavior`); for `the-final--countdown`
/// split on `-`: removed `the final countdown`, isolated `the - final - - countdown`,
/// merged with previous `the- final- - countdown`, merged with next `the -final - -countdown`,
/// contiguous `the - final -- countdown`.
enum SplitBehavior: String, Sendable, CaseIterable {
    case removed
    case isolated
    case mergedWithPrevious = "merged_with_previous"
    case mergedWithNext = "merged_with_next"
    case contiguous

    /// Reads the serialized names (`Isolated`, `MergedWithPrevious`, … or snake case).
    init?(serialized: String) {
        let key = serialized.replacingOccurrences(of: "_", with: "").lowercased()
        guard let match = Self.allCases.first(where: { $0.rawValue.replacingOccurrences(of: "_", with: "") == key })
        else { return nil }
        self = match
    }

    /// The ranges to keep, in order, from the pieces `findMatches` returned.
    func pieces(from matches: [PatternMatch]) -> [Range<Int>] {
        switch self {
        case .isolated:
            return matches.map(\.range)
        case .removed:
            return matches.filter { !$0.isMatch }.map(\.range)
        case .contiguous:
            var out: [Range<Int>] = []
            var previousMatch = false
            for m in matches {
                if m.isMatch == previousMatch, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<m.range.upperBound
                } else {
                    out.append(m.range)
                }
                previousMatch = m.isMatch
            }
            return out
        case .mergedWithPrevious:
            var out: [Range<Int>] = []
            var previousMatch = false
            for m in matches {
                if m.isMatch && !previousMatch, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<m.range.upperBound
                } else {
                    out.append(m.range)
                }
                previousMatch = m.isMatch
            }
            return out
        case .mergedWithNext:
            var out: [Range<Int>] = []
            var previousMatch = false
            for m in matches.reversed() {
                if m.isMatch && !previousMatch, let last = out.last {
                    out[out.count - 1] = m.range.lowerBound..<last.upperBound
                } else {
                    out.append(m.range)
                }
                previousMatch = m.isMatch
            }
            return out.reversed()
        }
    }
}
