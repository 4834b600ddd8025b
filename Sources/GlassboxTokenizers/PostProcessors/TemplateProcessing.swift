/// Special tokens placed by a template (`TemplateProcessing`): e.g. single `[CLS] $A [SEP]`,
/// pair `[CLS] $A [SEP] $B:1 [SEP]:1`, each piece with its type id. A special token may stand
/// for several ids.
struct TemplateProcessing: PostProcessor {
    enum Piece: Sendable {
        case sequence(second: Bool, typeID: Int)
        case special(id: String, typeID: Int)
    }

    let single: [Piece]
    let pair: [Piece]
    let specialTokens: [String: (ids: [Int], tokens: [String])]

    init(single: [Piece], pair: [Piece], specialTokens: [String: (ids: [Int], tokens: [String])]) {
        self.single = single
        self.pair = pair
        self.specialTokens = specialTokens
    }

    init(config: ConfigReader) throws {
        var specials: [String: (ids: [Int], tokens: [String])] = [:]
        for (name, entry) in try config.object("special_tokens") {
            let ids = try entry.array("ids").map { try $0.asInt() }
            let tokens = try entry.array("tokens").map { try $0.asString() }
            guard ids.count == tokens.count else { throw entry.fail("'ids' and 'tokens' differ in length") }
            specials[try entry.optionalString("id") ?? name] = (ids, tokens)
        }
        specialTokens = specials
        single = try Self.template(config, "single", specials: specials)
        pair = try Self.template(config, "pair", specials: specials)
    }

    private static func template(_ config: ConfigReader, _ key: String,
                                 specials: [String: (ids: [Int], tokens: [String])]) throws -> [Piece] {
        try config.array(key).map { item in
            if let s = item.child("Sequence") {
                let id = try s.string("id")
                guard id == "A" || id == "B" else { throw s.fail("a sequence id must be A or B, found \(id)") }
                return .sequence(second: id == "B", typeID: try s.int("type_id"))
            }
            if let t = item.child("SpecialToken") {
                let id = try t.string("id")
                guard specials[id] != nil else { throw t.fail("the special token '\(id)' is not in special_tokens") }
                return .special(id: id, typeID: try t.int("type_id"))
            }
            throw item.fail("expected {\"Sequence\": …} or {\"SpecialToken\": …}")
        }
    }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) throws -> [Encoding] {
        let template = encodings.count == 2 ? pair : single
        var out: [Encoding] = []
        for piece in template {
            switch piece {
            case .sequence(let second, let typeID):
                let index = second ? 1 : 0
                guard index < encodings.count else { continue }
                out.append(encodings[index].with(typeID: typeID, sequence: index))
            case .special(let id, let typeID):
                guard addSpecialTokens, let token = specialTokens[id] else { continue }
                out.append(.special(ids: token.ids, tokens: token.tokens, typeID: typeID))
            }
        }
        return out
    }

    func addedTokens(isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) { n, piece in
            if case .special(let id, _) = piece { return n + (specialTokens[id]?.ids.count ?? 0) }
            return n
        }
    }
}
