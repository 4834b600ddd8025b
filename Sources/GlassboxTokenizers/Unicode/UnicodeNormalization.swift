import Foundation

/// The four Unicode normalization forms.
enum UnicodeNormalForm: Sendable {
    case nfc, nfd, nfkc, nfkd

    var compatibility: Bool { self == .nfkc || self == .nfkd }
    var composes: Bool { self == .nfc || self == .nfkc }
}

/// Unicode normalization with alignments, as `unicode-normalization-alignments` (Unicode 9.0)
/// does it for the reference: every character decomposes into its full decomposition (the first
/// part replaces it, change 0; the others are inserted, change +1); runs of combining marks are
/// stably sorted by combining class, each carrying its change; composition merges a mark into its
/// starter, whose change becomes `change(starter) + change(mark) - 1`. `NormalizedString.transform`
/// then assigns the alignments. Characters assigned after Unicode 9.0 have no decomposition and
/// combining class 0 there, and are treated so here. Decomposition and composition data come from
/// Foundation, cached per character.
enum UnicodeNormalization {
    static func apply(_ form: UnicodeNormalForm, to string: inout NormalizedString) {
        // Below these, every form is the identity (and nothing composes with what precedes).
        let threshold: UInt32 = form.compatibility ? 0xA0 : form.composes ? 0x300 : 0xC0
        guard string.scalars.contains(where: { $0.value >= threshold }) else { return }
        var entries: [(Unicode.Scalar, Int)] = []
        entries.reserveCapacity(string.count + 8)
        for s in string.scalars {
            let parts = decomposition(s, compatibility: form.compatibility)
            for (k, part) in parts.enumerated() { entries.append((part, k == 0 ? 0 : 1)) }
        }
        reorder(&entries)
        if form.composes { entries = compose(entries) }
        string.transform(range: 0..<string.count, changes: entries, initialOffset: 0)
    }

    /// The canonical combining class as of Unicode 9.0.
    static func combiningClass(_ s: Unicode.Scalar) -> UInt8 {
        if s.value < 0x300 { return 0 }
        guard UnicodeClasses.assigned(s, byVersion: 9, 0) else { return 0 }
        return s.properties.canonicalCombiningClass.rawValue
    }

    /// Stable sort of each run of non-starters by combining class.
    private static func reorder(_ entries: inout [(Unicode.Scalar, Int)]) {
        var i = 0
        while i < entries.count {
            guard combiningClass(entries[i].0) != 0 else { i += 1; continue }
            var j = i
            while j < entries.count && combiningClass(entries[j].0) != 0 { j += 1 }
            if j - i > 1 {
                let sorted = entries[i..<j].enumerated().sorted {
                    let (a, b) = (combiningClass($0.element.0), combiningClass($1.element.0))
                    return a != b ? a < b : $0.offset < $1.offset
                }.map(\.element)
                entries.replaceSubrange(i..<j, with: sorted)
            }
            i = j
        }
    }

    /// Canonical composition, merging the changes of absorbed characters into their starter.
    private static func compose(_ entries: [(Unicode.Scalar, Int)]) -> [(Unicode.Scalar, Int)] {
        var out: [(Unicode.Scalar, Int)] = []
        out.reserveCapacity(entries.count)
        var starter: Int? = nil
        var lastClass: UInt8? = nil          // class of the last character after the starter
        for (scalar, change) in entries {
            let cls = combiningClass(scalar)
            guard let s = starter else {
                out.append((scalar, change))
                if cls == 0 { starter = out.count - 1 }
                continue
            }
            let blocked = lastClass.map { $0 >= cls } ?? false
            if !blocked, let composite = composition(out[s].0, scalar) {
                out[s] = (composite, out[s].1 + change - 1)
                continue
            }
            out.append((scalar, change))
            if cls == 0 {
                starter = out.count - 1
                lastClass = nil
            } else {
                lastClass = cls
            }
        }
        return out
    }

    static func decomposition(_ s: Unicode.Scalar, compatibility: Bool) -> [Unicode.Scalar] {
        if s.value < (compatibility ? 0xA0 : 0xC0) { return [s] }
        let key = s.value | (compatibility ? 0x8000_0000 : 0)
        if let cached = cache.decomposition(key) { return cached }
        var result = [s]
        if UnicodeClasses.assigned(s, byVersion: 9, 0) {
            let text = String(Character(s))
            let mapped = compatibility ? text.decomposedStringWithCompatibilityMapping
                : text.decomposedStringWithCanonicalMapping
            result = Array(mapped.unicodeScalars)
        }
        cache.store(decomposition: result, for: key)
        return result
    }

    /// The primary composite of `a` followed by `b`, if any (and assigned by Unicode 9.0).
    static func composition(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Unicode.Scalar? {
        if let hangul = hangulComposition(a.value, b.value) { return Unicode.Scalar(hangul) }
        let key = UInt64(a.value) << 32 | UInt64(b.value)
        if let cached = cache.composition(key) { return cached == 0 ? nil : Unicode.Scalar(cached) }
        var result: UInt32 = 0
        var text = String.UnicodeScalarView()
        text.append(a)
        text.append(b)
        let composed = Array(String(text).precomposedStringWithCanonicalMapping.unicodeScalars)
        if composed.count == 1, UnicodeClasses.assigned(composed[0], byVersion: 9, 0) { result = composed[0].value }
        cache.store(composition: result, for: key)
        return result == 0 ? nil : Unicode.Scalar(result)
    }

    /// Hangul syllable composition (L + V, LV + T), done arithmetically as the standard defines
    /// it (Foundation on Linux does not compose LV + T).
    private static func hangulComposition(_ a: UInt32, _ b: UInt32) -> UInt32? {
        let sBase: UInt32 = 0xAC00, lBase: UInt32 = 0x1100, vBase: UInt32 = 0x1161, tBase: UInt32 = 0x11A7
        if (lBase..<(lBase + 19)).contains(a) && (vBase..<(vBase + 21)).contains(b) {
            return sBase + ((a - lBase) * 21 + (b - vBase)) * 28
        }
        if (sBase..<(sBase + 11172)).contains(a) && (a - sBase) % 28 == 0 && ((tBase + 1)..<(tBase + 28)).contains(b) {
            return a + (b - tBase)
        }
        return nil
    }

    private static let cache = NormalizationCache()
}

/// Per-character decomposition and composition results, shared by all threads.
private final class NormalizationCache: @unchecked Sendable {
    private let lock = NSLock()
    private var decompositions: [UInt32: [Unicode.Scalar]] = [:]
    private var compositions: [UInt64: UInt32] = [:]

    func decomposition(_ key: UInt32) -> [Unicode.Scalar]? {
        lock.lock(); defer { lock.unlock() }
        return decompositions[key]
    }

    func store(decomposition: [Unicode.Scalar], for key: UInt32) {
        lock.lock(); defer { lock.unlock() }
        decompositions[key] = decomposition
    }

    func composition(_ key: UInt64) -> UInt32? {
        lock.lock(); defer { lock.unlock() }
        return compositions[key]
    }

    func store(composition: UInt32, for key: UInt64) {
        lock.lock(); defer { lock.unlock() }
        compositions[key] = composition
    }
}
