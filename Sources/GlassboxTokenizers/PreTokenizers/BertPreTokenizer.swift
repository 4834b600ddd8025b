/// BERT's pre-tokenizer (`BertPreTokenizer`): splits on whitespace (removed), then isolates
/// every punctuation character (ASCII punctuation and Unicode 8.0 `P*`, as the reference). Both
/// passes are done in one scan, which gives the same pieces.
struct BertPreTokenizer: PreTokenizer {
    func preTokenize(_ string: inout PreTokenizedString) {
        string.split { s in
            var pieces: [NormalizedString] = []
            var start: Int? = nil
            for (i, c) in s.scalars.enumerated() {
                let flags = UnicodeClasses.flags(c)
                if flags.contains(.whitespace) || flags.contains(.bertPunctuation) {
                    if let b = start { pieces.append(s.slice(b..<i)); start = nil }
                    if !flags.contains(.whitespace) { pieces.append(s.slice(i..<(i + 1))) }
                } else if start == nil {
                    start = i
                }
            }
            if let b = start { pieces.append(s.slice(b..<s.count)) }
            return pieces
        }
    }
}
