@testable import GlassboxRender
import XCTest

/// Colour-bar tick labels never run together: at extreme limits the labels are long
/// (`−1e−300`) and an inner label that would touch a neighbour keeps its tick mark only.
final class ColorBarTests: XCTestCase {
    func testLongLabelsOfExtremeScalesAreThinnedAndNormalOnesKept() throws {
        let engine = TextEngine()
        // The token strip's shortest bar is 160 points.
        for (limit, length, expectedAll) in [(1.0, 160.0, true), (0.5, 160, true), (0.0123, 160, true), (1e-300, 160, false), (1e-300, 400, true)] {
            let bar = ColorBar(.diverging(limit: limit), caption: nil, vertical: false, engine: engine)
            let kept = bar.labelledTicks(along: length)
            let labels = Ticks.withEnds(lower: -limit, upper: limit, target: 4)
            XCTAssertTrue(kept.contains(0) && kept.contains(labels.count - 1), "both ends are always labelled (\(limit))")
            XCTAssertEqual(kept.count == labels.count, expectedAll, "limit \(limit), length \(length): \(labels.map(\.label)), kept \(kept.sorted())")
            // No two kept labels overlap along the bar.
            let spans = kept.sorted().map { k -> (Double, Double) in
                let centre = (labels[k].value + limit) / (2 * limit) * length
                let half = engine.measure(labels[k].label, .tick).width / 2
                return (centre - half, centre + half)
            }
            for (a, b) in zip(spans, spans.dropFirst()) { XCTAssertLessThanOrEqual(a.1, b.0, "limit \(limit): \(spans)") }
        }
    }
}
