/// BERT's normalizer (`BertNormalizer`): removes control characters and turns whitespace into
/// spaces (`clean_text`), puts spaces around CJK ideographs (`handle_chinese_chars`), removes
/// accents by NFD then dropping non-spacing marks (`strip_accents`, by default as `lowercase`),
/// and lowercases. The character classes are the reference's Unicode 8.0 tables.
struct BertNormalizer: TextNormalizer {
    let cleanText: Bool
    let handleChineseChars: Bool
    let stripAccents: Bool
    let lowercase: Bool

    init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents ?? lowercase
        self.lowercase = lowercase
    }

    init(config: ConfigReader) throws {
        self.init(cleanText: try config.bool("clean_text", default: true),
                  handleChineseChars: try config.bool("handle_chinese_chars", default: true),
                  stripAccents: try config.optionalBool("strip_accents"),
                  lowercase: try config.bool("lowercase", default: true))
    }

    func normalize(_ string: inout NormalizedString) throws {
        if cleanText {
            string.filter { !UnicodeClasses.flags($0).contains(.bertRemoved) }
            string.map { s in
                s == "\t" || s == "\n" || s == "\r" || UnicodeClasses.isWhitespace(s) ? " " : s
            }
        }
        if handleChineseChars, string.scalars.contains(where: { UnicodeClasses.flags($0).contains(.chinese) }) {
            string.expand { s, out in
                if UnicodeClasses.flags(s).contains(.chinese) {
                    out.append(" "); out.append(s); out.append(" ")
                } else {
                    out.append(s)
                }
            }
        }
        if stripAccents {
            UnicodeNormalization.apply(.nfd, to: &string)
            string.filter { !UnicodeClasses.flags($0).contains(.bertNonspacing) }
        }
        if lowercase {
            Lowercase().normalize(&string)
        }
    }
}
