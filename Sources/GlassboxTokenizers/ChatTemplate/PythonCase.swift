import Foundation

/// Python's case mappings of `str` (CPython's `unicodeobject.c`): full mappings per character
/// (`'ß'.upper()` is `'SS'`), capital sigma lower-cased to final `ς` at the end of a word, and title
/// case (not upper case) where a word starts (`'ǆemal'.capitalize()` is `'ǅemal'`).
enum PythonCase {
    /// Python's `str.lower()`. Swift's `lowercased()` maps each character the same way, except
    /// capital sigma (always `σ`), so it serves text without one.
    static func lower(_ s: String) -> String {
        guard s.unicodeScalars.contains(capitalSigma) else { return s.lowercased() }
        let scalars = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        for i in scalars.indices { appendLower(scalars, i, into: &out) }
        return String(out)
    }

    /// Python's `str.upper()`: Swift's `uppercased()` is the same full mapping per character.
    static func upper(_ s: String) -> String { s.uppercased() }

    /// U+03A3 GREEK CAPITAL LETTER SIGMA, the one character whose lower case depends on its neighbours.
    private static let capitalSigma: Unicode.Scalar = "\u{03A3}"

    /// Python's `str.capitalize()` (3.8+): the first character in title case, the rest lower-case.
    static func capitalize(_ s: [Unicode.Scalar]) -> String {
        guard let first = s.first else { return "" }
        if !s.contains(capitalSigma) { return first.properties.titlecaseMapping + TemplateMethods.scalarString(s.dropFirst()).lowercased() }
        var out = String.UnicodeScalarView(first.properties.titlecaseMapping.unicodeScalars)
        for i in s.indices.dropFirst() { appendLower(s, i, into: &out) }
        return String(out)
    }

    /// Python's `str.title()`: a character after a cased one lower-case, any other in title case.
    static func title(_ s: [Unicode.Scalar]) -> String {
        var out = String.UnicodeScalarView()
        var previousCased = false
        for i in s.indices {
            if previousCased { appendLower(s, i, into: &out) } else { out.append(contentsOf: s[i].properties.titlecaseMapping.unicodeScalars) }
            previousCased = s[i].properties.isCased
        }
        return String(out)
    }

    /// Appends the lower case of `s[i]`: for capital sigma `ς` when a cased letter precedes it and
    /// none follows (case-ignorable characters between skipped), else `σ`; for others the full mapping.
    private static func appendLower(_ s: [Unicode.Scalar], _ i: Int, into out: inout String.UnicodeScalarView) {
        guard s[i] == capitalSigma else {
            out.append(contentsOf: s[i].properties.lowercaseMapping.unicodeScalars)
            return
        }
        /// Whether the first character from `j` on in `step` direction that is not case-ignorable is cased.
        func casedNeighbour(from j: Int, step: Int) -> Bool {
            var k = j
            while s.indices.contains(k) {
                if !s[k].properties.isCaseIgnorable { return s[k].properties.isCased }
                k += step
            }
            return false
        }
        out.append(casedNeighbour(from: i - 1, step: -1) && !casedNeighbour(from: i + 1, step: 1) ? "\u{03C2}" : "\u{03C3}")
    }
}
