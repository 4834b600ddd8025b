import Foundation

/// Escapes, character classes and Unicode properties of `RegexParser`.
extension RegexParser {
    /// An escape outside a class (the backslash is consumed).
    mutating func parseEscape() throws -> RegexNode {
        guard let c = peek() else { throw fail("a trailing backslash") }
        switch c {
        case "b": index += 1; return .assertion(.wordBoundary)
        case "B": index += 1; return .assertion(.notWordBoundary)
        case "A": index += 1; return .assertion(.textStart)
        case "z": index += 1; return .assertion(.textEnd)
        case "Z": index += 1; return .assertion(.textEndOrFinalNewline)
        case "1"..."9", "k", "g", "G", "K", "R", "X", "Q", "E":
            throw fail("the escape '\\\(c)' (backreferences, subroutines, \\G, \\K, \\R, \\X) is not supported")
        default:
            switch try parseEscapedItem() {
            case .scalar(let s): return .scalar(s, caseInsensitive: caseInsensitive)
            case .item(let item): return .set(ScalarClass(items: [item], caseInsensitive: caseInsensitive))
            }
        }
    }

    enum EscapedItem { case scalar(Unicode.Scalar), item(ScalarClass.Item) }

    /// A class escape or a literal escape (the backslash is consumed), valid inside and outside
    /// classes.
    mutating func parseEscapedItem() throws -> EscapedItem {
        guard let c = peek() else { throw fail("a trailing backslash") }
        index += 1
        switch c {
        case "d": return .item(.flags(.digit, negated: false))
        case "D": return .item(.flags(.digit, negated: true))
        case "s": return .item(.flags(.whitespace, negated: false))
        case "S": return .item(.flags(.whitespace, negated: true))
        case "w": return .item(.flags(.onigWord, negated: false))
        case "W": return .item(.flags(.onigWord, negated: true))
        case "h": return .item(.nested(Self.hexDigits))
        case "H": return .item(.nested(ScalarClass(items: Self.hexDigits.items, negated: true)))
        case "p", "P": return .item(try parseProperty(negated: c == "P"))
        case "t": return .scalar("\t")
        case "n": return .scalar("\n")
        case "r": return .scalar("\r")
        case "f": return .scalar("\u{0C}")
        case "v": return .scalar("\u{0B}")
        case "a": return .scalar("\u{07}")
        case "e": return .scalar("\u{1B}")
        case "0": return .scalar(try parseDigits(radix: 8, maxCount: 2, initial: 0))
        case "x":
            if peek() == "{" {
                index += 1
                let s = try parseDigits(radix: 16, maxCount: 8, initial: 0)
                guard peek() == "}" else { throw fail("missing '}' in \\x{…}") }
                index += 1
                return .scalar(s)
            }
            return .scalar(try parseDigits(radix: 16, maxCount: 2, initial: 0))
        case "u": return .scalar(try parseDigits(radix: 16, maxCount: 4, initial: 0, exact: true))
        default: return .scalar(c)
        }
    }

    private mutating func parseDigits(radix: UInt32, maxCount: Int, initial: UInt32,
                                      exact: Bool = false) throws -> Unicode.Scalar {
        var value = initial, count = 0
        while count < maxCount, let c = peek(), let d = hexValue(c), d < radix {
            value = value * radix + d
            index += 1
            count += 1
        }
        if exact && count != maxCount { throw fail("an escape needs \(maxCount) hex digits") }
        guard let s = Unicode.Scalar(value) else { throw fail("an escape names no Unicode scalar") }
        return s
    }

    private func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c.value {
        case 0x30...0x39: c.value - 0x30
        case 0x41...0x46: c.value - 0x41 + 10
        case 0x61...0x66: c.value - 0x61 + 10
        default: nil
        }
    }

    static let hexDigits = ScalarClass(items: [.range(0x30...0x39), .range(0x41...0x46), .range(0x61...0x66)])

    /// `\p{Name}`, `\p{^Name}` or `\P{Name}` (after the `p`/`P`).
    private mutating func parseProperty(negated: Bool) throws -> ScalarClass.Item {
        guard peek() == "{" else { throw fail("\\p needs a {Name}") }
        index += 1
        var negate = negated
        if peek() == "^" { negate.toggle(); index += 1 }
        var name = ""
        while let c = peek(), c != "}" { name.unicodeScalars.append(c); index += 1 }
        guard peek() == "}" else { throw fail("missing '}' after \\p{\(name)") }
        index += 1
        let key = name.replacingOccurrences(of: "_", with: "").replacingOccurrences(of: " ", with: "").lowercased()
        switch key {
        case "l", "letter": return .flags(.letter, negated: negate)
        case "n", "number": return .flags(.number, negated: negate)
        case "nd", "decimalnumber", "digit": return .flags(.digit, negated: negate)
        case "space", "whitespace": return .flags(.whitespace, negated: negate)
        case "word": return .flags(.onigWord, negated: negate)
        case "alpha", "alphabetic": return .alphabetic(negated: negate)
        case "any": return negate ? .range(1...0) : .any(dotAll: true)
        default:
            guard let cats = Self.categories[key] else {
                throw fail("the property \\p{\(name)} is not supported (general categories, L, N, Alpha, Space, Word, Any are)")
            }
            return .categories(cats, negated: negate)
        }
    }

    private static let categories: [String: [Unicode.GeneralCategory]] = {
        let all: [(String, Unicode.GeneralCategory)] = [
            ("lu", .uppercaseLetter), ("ll", .lowercaseLetter), ("lt", .titlecaseLetter), ("lm", .modifierLetter),
            ("lo", .otherLetter), ("mn", .nonspacingMark), ("mc", .spacingMark), ("me", .enclosingMark),
            ("nl", .letterNumber), ("no", .otherNumber), ("pc", .connectorPunctuation), ("pd", .dashPunctuation),
            ("ps", .openPunctuation), ("pe", .closePunctuation), ("pi", .initialPunctuation),
            ("pf", .finalPunctuation), ("po", .otherPunctuation), ("sm", .mathSymbol), ("sc", .currencySymbol),
            ("sk", .modifierSymbol), ("so", .otherSymbol), ("zs", .spaceSeparator), ("zl", .lineSeparator),
            ("zp", .paragraphSeparator), ("cc", .control), ("cf", .format), ("co", .privateUse), ("cs", .surrogate),
        ]
        var table = [String: [Unicode.GeneralCategory]]()
        for (key, cat) in all {
            table[key] = [cat]
            table[String(key.prefix(1)), default: []].append(cat)
        }
        table["mark"] = table["m"]
        table["punct"] = table["p"]
        table["punctuation"] = table["p"]
        table["symbol"] = table["s"]
        table["separator"] = table["z"]
        return table
    }()

    /// A bracketed class (after the `[`).
    mutating func parseClass() throws -> ScalarClass {
        var negated = false
        if peek() == "^" { negated = true; index += 1 }
        var items: [ScalarClass.Item] = []
        var first = true
        while true {
            guard let c = peek() else { throw fail("missing ']'") }
            if c == "]" && !first { index += 1; break }
            first = false
            if c == "[" {
                if peek(1) == ":" { items.append(try parsePosixClass()); continue }
                index += 1
                items.append(.nested(try parseClass()))
                continue
            }
            if c == "&" && peek(1) == "&" { throw fail("class intersection '&&' is not supported") }
            var low: Unicode.Scalar
            index += 1
            if c == "\\" {
                switch try parseEscapedItem() {
                case .item(let item): items.append(item); continue
                case .scalar(let s): low = s
                }
            } else {
                low = c
            }
            // A range `a-b` (a '-' before ']' is literal).
            if peek() == "-", let next = peek(1), next != "]" {
                index += 1
                var high: Unicode.Scalar = next
                index += 1
                if next == "\\" {
                    guard case .scalar(let s) = try parseEscapedItem() else { throw fail("a class escape as a range end") }
                    high = s
                }
                guard low.value <= high.value else { throw fail("an empty range") }
                items.append(.range(low.value...high.value))
            } else {
                items.append(.range(low.value...low.value))
            }
        }
        return ScalarClass(items: items, negated: negated, caseInsensitive: caseInsensitive)
    }

    /// `[:name:]` or `[:^name:]` inside a class.
    private mutating func parsePosixClass() throws -> ScalarClass.Item {
        index += 2
        var negate = false
        if peek() == "^" { negate = true; index += 1 }
        var name = ""
        while let c = peek(), c != ":" { name.unicodeScalars.append(c); index += 1 }
        guard peek() == ":", peek(1) == "]" else { throw fail("a malformed [:class:]") }
        index += 2
        switch name {
        case "alpha": return .alphabetic(negated: negate)
        case "digit": return .flags(.digit, negated: negate)
        case "space": return .flags(.whitespace, negated: negate)
        case "word": return .flags(.onigWord, negated: negate)
        case "upper": return .categories([.uppercaseLetter], negated: negate)
        case "lower": return .categories([.lowercaseLetter], negated: negate)
        case "xdigit": return .nested(ScalarClass(items: Self.hexDigits.items, negated: negate))
        default: throw fail("the POSIX class [:\(name):] is not supported")
        }
    }
}
