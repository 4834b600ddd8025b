/// A set of Unicode scalars as a regex character class describes it: `[^\s\p{L}\p{N}]`, `\w`,
/// `.`, a single (possibly case-folded) scalar. Classes use `UnicodeClasses`, so they mean what
/// Oniguruma means (Unicode 16); membership of ASCII scalars is precomputed.
struct ScalarClass: Sendable {
    enum Item: Sendable {
        case range(ClosedRange<UInt32>)
        /// Scalars having (or, negated, lacking) all of these flags.
        case flags(UnicodeClasses.Flags, negated: Bool)
        /// General categories (as of Unicode 16).
        case categories([Unicode.GeneralCategory], negated: Bool)
        /// Alphabetic (as of Unicode 16).
        case alphabetic(negated: Bool)
        /// Any scalar except line feed (or any at all with `dotAll`).
        case any(dotAll: Bool)
        case nested(ScalarClass)
    }

    var items: [Item]
    var negated: Bool
    var caseInsensitive: Bool
    private var ascii: (UInt64, UInt64) = (0, 0)

    init(items: [Item], negated: Bool = false, caseInsensitive: Bool = false) {
        self.items = items
        self.negated = negated
        self.caseInsensitive = caseInsensitive
        var low: UInt64 = 0, high: UInt64 = 0
        for v in 0..<128 where slowContains(Unicode.Scalar(UInt8(v))) {
            if v < 64 { low |= 1 << UInt64(v) } else { high |= 1 << UInt64(v - 64) }
        }
        ascii = (low, high)
    }

    @inline(__always)
    func contains(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 64 { return ascii.0 & (1 << UInt64(v)) != 0 }
        if v < 128 { return ascii.1 & (1 << UInt64(v - 64)) != 0 }
        return slowContains(s)
    }

    private func slowContains(_ s: Unicode.Scalar) -> Bool {
        var hit = matchesItems(s)
        if !hit && caseInsensitive {
            hit = CaseFolding.variants(of: s).contains(where: matchesItems)
        }
        return hit != negated
    }

    private func matchesItems(_ s: Unicode.Scalar) -> Bool {
        for item in items {
            switch item {
            case .range(let r):
                if r.contains(s.value) { return true }
            case .flags(let f, let negated):
                if UnicodeClasses.flags(s).isSuperset(of: f) != negated { return true }
            case .categories(let cats, let negated):
                let hit = UnicodeClasses.category16(s).map { cats.contains($0) } ?? false
                if hit != negated { return true }
            case .alphabetic(let negated):
                let hit = UnicodeClasses.assigned(s, byVersion: 16, 0) && s.properties.isAlphabetic
                if hit != negated { return true }
            case .any(let dotAll):
                if dotAll || s.value != 0x0A { return true }
            case .nested(let inner):
                if inner.contains(s) { return true }
            }
        }
        return false
    }
}

/// Case-insensitive comparison for `(?i)`: simple case folding approximated from Swift's case
/// mappings (a scalar matches another when they lowercase, or uppercase-then-lowercase, alike).
enum CaseFolding {
    static func fold(_ s: Unicode.Scalar) -> UInt32 {
        if s.value < 0x80 {
            return (0x41...0x5A).contains(s.value) ? s.value + 32 : s.value
        }
        let p = s.properties
        let lower = p.lowercaseMapping.unicodeScalars
        if lower.count == 1, let l = lower.first, l != s { return l.value }
        let upper = p.uppercaseMapping.unicodeScalars
        if upper.count == 1, let u = upper.first {
            let back = u.properties.lowercaseMapping.unicodeScalars
            if back.count == 1, let b = back.first { return b.value }
        }
        return s.value
    }

    /// Scalars that fold like `s` and differ from it (its other cases).
    static func variants(of s: Unicode.Scalar) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        let p = s.properties
        for mapped in [p.lowercaseMapping, p.uppercaseMapping, p.titlecaseMapping] {
            let scalars = mapped.unicodeScalars
            if scalars.count == 1, let m = scalars.first, m != s, !out.contains(m) { out.append(m) }
        }
        if let f = Unicode.Scalar(fold(s)), f != s, !out.contains(f) { out.append(f) }
        return out
    }
}
