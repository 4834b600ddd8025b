import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Relevance through a sparse mixture of experts (docs/methods.md §2.5c) beyond the LXT-rule parity
/// (RelevanceParityTests) and CP-LRP conservation (RelevanceConservationTests): the per-expert
/// neuron layout, and what the router receives under each rule.
final class MixtureRelevanceTests: XCTestCase {
    private let ids = [1, 50, 7, 9, 33, 12, 40]

    /// `neurons` is `[L, E·dff]`, expert-major; an expert no position chose has exactly zero relevance
    /// (in the last layer only the explained, last position matters).
    func testNeuronsArePerExpert() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("mixtral-moe"))
        let (E, dff) = (5, model.architecture.dFF)
        let forward = try model.forward(ids, capture: .all)
        for method in [RelevanceMethod.attnLRP, .cpLRP, .gradientTimesInput] {
            let r = try Relevance.explain(model, .tokens(ids, types: nil), options: .init(method: method))
            XCTAssertEqual(r.neurons.shape, [model.architecture.layers, E * dff], "\(method)")
            for l in 0..<model.architecture.layers {
                let indices = try XCTUnwrap(forward.cache[.block(l, .expertIndices)])            // [n, k]
                let rows = l == model.architecture.layers - 1 ? [ids.count - 1] : Array(0..<ids.count)
                let chosen = Set(rows.flatMap { t in (0..<2).map { Int(indices[t, $0]) } })
                for e in 0..<E {
                    let slice = r.neurons.row(l).storage[(e * dff)..<((e + 1) * dff)]
                    if chosen.contains(e) {
                        XCTAssertTrue(slice.contains { $0 != 0 }, "\(method) layer \(l) expert \(e): chosen but no relevance")
                    } else {
                        XCTAssertTrue(slice.allSatisfy { $0 == 0 }, "\(method) layer \(l) expert \(e): not chosen, yet relevance")
                    }
                }
            }
        }
    }

    /// AttnLRP sends half of each routed product to the router: detaching the routing weights
    /// (CP-LRP's rule for the product, everything else AttnLRP's) changes the token relevance, and
    /// the budget still closes (the router softmax's share is booked).
    func testTheRouterReceivesRelevanceUnderAttnLRP() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("mixtral-moe"))
        let input = ModelInput.tokens(ids, types: nil)
        let attn = try Relevance.explain(model, input)
        XCTAssertLessThan(abs(attn.budget.unaccounted), 1e-4 * abs(attn.budget.explained), "\(attn.budget)")
        var rules = RuleTable.attnLRP.rules
        rules[.gatedProduct] = .detachedGate
        let detached = try Relevance.explain(model, input, options: .init(customRules: try RuleTable(rules)))
        XCTAssertGreaterThan(RelevanceMetrics.compare(attn.tokens, detached.tokens).relative, 1e-3)
        XCTAssertLessThan(abs(detached.budget.unaccounted), 1e-4 * abs(detached.budget.explained), "\(detached.budget)")
    }
}
