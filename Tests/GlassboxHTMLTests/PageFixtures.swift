import Foundation
import GlassboxHTML
import GlassboxTestSupport
import XCTest

/// Hand-made page data, one of each kind, with values chosen so the tests know what each hover
/// must show.
enum PageFixtures {
    static let words = ["The", " Eiffel", " Tower", " is", " in", " the", " city", " of", " </script>", " Paris"]

    /// Two methods over the same ten tokens (the second has one clipped score), plus a 3 × 12
    /// generated-tokens matrix in the sequence-attribution shape (null above the diagonal).
    static func explanation() throws -> HTMLPage {
        let first = words.indices.map { Double($0 - 4) / 5 }
        var second = words.indices.map { Double(($0 * 7) % 5 - 2) / 2 }
        second[3] = 9
        let tokens = words + [" France", "."]
        var matrix: [[Any]] = []
        for r in 0..<3 {
            var row: [Any] = []
            for c in 0..<12 {
                let value: Double = Double(c - 5) / 10 * Double(r + 1)
                row.append(c < 10 + r ? value as Any : NSNull())
            }
            matrix.append(row)
        }
        return try HTMLPage(kind: .explanation, title: "Explanation fixture", view: [
            "explanations": [
                ["method": "attnlrp", "tokens": words, "scores": first, "limit": 1.0, "targetIndex": 9, "legend": "scale ±1"],
                ["method": "atman", "tokens": words, "scores": second, "limit": 1.0, "targetIndex": 9, "legend": "scale ±1, fixed"],
            ],
            "sequence": ["tokens": tokens, "generated": [["text": " France"], ["text": "."], ["text": " It"]],
                         "matrix": matrix, "limit": 1.5],
        ])
    }

    /// Causal attention of `layers` × `heads` over `n` tokens: query i puts weight 1/(i+1) on every
    /// key, except head 1, which puts all its weight on key 0. With `neuron`, q and k of layer 0 for
    /// `heads` heads of size 4: q[i, h, d] = d + 1, k[j, h, d] = j − h.
    static func attention(n: Int, layers: Int, heads: Int, neuron: Bool = true) throws -> HTMLPage {
        var data: [String] = []
        for _ in 0..<layers {
            var w = [Float](repeating: 0, count: heads * n * n)
            for h in 0..<heads {
                for i in 0..<n {
                    for j in 0...i { w[(h * n + i) * n + j] = h == 1 ? (j == 0 ? 1 : 0) : 1 / Float(i + 1) }
                }
            }
            data.append(try w.withUnsafeBufferPointer { try PackedValues.attention($0, heads: heads, n: n, causal: true) })
        }
        var view: [String: Any] = [
            "tokens": (0..<n).map { $0 < words.count ? words[$0] : "t\($0)" }, "layers": Array(0..<layers), "heads": Array(0..<heads),
            "causal": true, "layerData": data,
        ]
        if neuron {
            let dh = 4
            var q = [Float](), k = [Float]()
            for i in 0..<n { for _ in 0..<heads { for d in 0..<dh { q.append(Float(d + 1)) } }; _ = i }
            for j in 0..<n { for h in 0..<heads { for _ in 0..<dh { k.append(Float(j - h)) } } }
            view["neuron"] = ["layer": 0, "heads": heads, "kvHeads": heads, "dHead": dh,
                              "q": PackedValues.float32(q), "k": PackedValues.float32(k)]
        }
        return try HTMLPage(kind: .attention, title: "Attention fixture", view: view)
    }

    /// Three rows × four positions; cell (r, c) has top tokens "r.c" (p 0.2 + 0.2 r) and "alt" (0.1).
    static func lens() throws -> HTMLPage {
        var rows: [[String: Any]] = []
        for r in 0..<3 {
            var cells: [[String: Any]] = []
            for c in 0..<4 {
                let top: [[Any]] = [["\(r).\(c)", 0.2 + 0.2 * Double(r)], ["alt", 0.1]]
                let rank: Int = r == 2 ? 1 : 3
                cells.append(["top": top, "targetRank": rank, "targetProb": 0.05 * Double(r + 1)])
            }
            rows.append(["label": r == 0 ? "embed" : "layer \(r - 1)", "cells": cells])
        }
        return try HTMLPage(kind: .lens, title: "Lens fixture", view: ["tokens": Array(words.prefix(4)), "positions": [0, 1, 2, 3], "rows": rows])
    }

    /// Two panels: a 2 × 4 layers × positions map (value r − c / 4) and a 2 × 3 layers × heads map.
    static func patching() throws -> HTMLPage {
        let resid: [String: Any] = [
            "title": "resid_pre", "rows": 2, "columns": 4, "rowLabels": ["L0", "L1"], "columnLabels": Array(words.prefix(4)),
            "values": (0..<8).map { Double($0 / 4) - Double($0 % 4) / 4 }, "limit": 1.0, "valueLabel": "normalised effect",
        ]
        let values: [Any] = [0.1, -0.2, 0.3, NSNull(), 0.5, -0.6]
        let z: [String: Any] = [
            "title": "z", "rows": 2, "columns": 3, "rowLabels": ["L0", "L1"], "columnLabels": ["H0", "H1", "H2"],
            "values": values, "limit": 0.6, "valueLabel": "normalised effect",
        ]
        return try HTMLPage(kind: .patching, title: "Patching fixture", view: ["panels": [resid, z]])
    }

    /// Two methods (panels in category10's first two colours) and the random ranking (no panel of
    /// its own, grey behind the others) over five steps.
    static func evaluation() throws -> HTMLPage {
        func method(_ name: String, _ drop: Double, _ colour: Any) -> [String: Any] {
            ["method": name, "abpc": drop / 2, "comprehensiveness": drop, "sufficiency": 0.1, "colour": colour,
             "morf": (0..<5).map { 1 - drop * Double($0) / 4 }, "lerf": (0..<5).map { 1 - 0.1 * Double($0) / 4 }]
        }
        return try HTMLPage(kind: .evaluation, title: "Evaluation fixture", view: [
            "steps": [0, 0.25, 0.5, 0.75, 1.0], "randomColour": "#9e9e9e",
            "methods": [method("attnlrp", 0.8, "#1f77b4"), method("rollout", 0.4, "#ff7f0e"), method("random", 0.2, NSNull())],
        ])
    }
}

extension XCTestCase {
    /// Writes `page` as `<name>.html` into a fresh temporary folder, removed when the test ends, and
    /// returns the file's URL.
    func writePage(_ page: HTMLPage, name: String) throws -> URL {
        let url = try makeTemporaryFolder("html").appendingPathComponent(name + ".html")
        try page.write(to: url)
        return url
    }
}
