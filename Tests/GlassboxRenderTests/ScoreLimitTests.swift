import Foundation
import GlassboxRender
import XCTest

/// The colour scale's limit: max |score|, the robust Tukey-fence rule with clipped tokens marked,
/// and a fixed limit; the legend line states which.
final class ScoreLimitTests: RenderTestCase {
    /// AttnLRP scores of a real explanation whose last position dominates (" you" after
    /// "I pray you, sir, I pray" by the bundled model).
    private let tokens = ["I", " pray", " you", ",", " sir", ",", " I", " pray"]
    private let scores = [0.21323, -0.01548, 0.96408, 0.27355, 0.11028, 0.78805, 1.24861, 5.90055]

    func testRobustLimitIsTheLargestScoreInsideTheFarOutFence() {
        // |scores| sorted: .01548 .11028 .21323 .27355 .78805 .96408 1.24861 5.90055.
        // Type-7 quartiles (numpy.percentile's default): Q1 = .11028 + .75·(.21323 − .11028) = .1874925,
        // Q3 = .78805 + .25·(.96408 − .78805) = .8320575; fence = Q3 + 3·(Q3 − Q1) = 2.76574.
        XCTAssertEqual(ScoreLimit.robust.limit(for: scores), 1.24861, accuracy: 1e-12)
        XCTAssertEqual(ScoreLimit.clippedCount(scores, limit: 1.24861), 1)
        XCTAssertEqual(ScoreLimit.maxAbs.limit(for: scores), 5.90055, accuracy: 1e-12)
        XCTAssertEqual(ScoreLimit.fixed(0.5).limit(for: scores), 0.5)
        XCTAssertEqual(ScoreLimit.clippedCount(scores, limit: 0.5), 4)
    }

    func testRobustEqualsMaxWithoutOutliersAndOnFewOrZeroScores() {
        let even = [0.1, -0.2, 0.3, -0.4, 0.5, 0.6]
        XCTAssertEqual(ScoreLimit.robust.limit(for: even), 0.6)
        XCTAssertEqual(ScoreLimit.robust.limit(for: [0.01, 9, 0.02]), 9, "fewer than four scores: the maximum")
        XCTAssertEqual(ScoreLimit.robust.limit(for: [0, 0, 0, 0, 0]), 1, "all zero: a unit scale")
        XCTAssertEqual(ScoreLimit.robust.limit(for: [.nan, .infinity, 0.3, 0.1, 0.2, 0.25]), 0.3, "non-finite ignored")
        // A negative outlier is clipped like a positive one.
        XCTAssertEqual(ScoreLimit.robust.limit(for: scores.map { -$0 }), 1.24861, accuracy: 1e-12)
    }

    func testLegendStatesTheRuleTheLimitAndTheClippedCount() {
        XCTAssertEqual(ScoreLimit.robust.legend(limit: 1.24861, clipped: 1),
                       "scale ±1.25, robust (Tukey fence): 1 token beyond, marked ▲")
        XCTAssertEqual(ScoreLimit.robust.legend(limit: 0.6, clipped: 0), "scale ±0.6 = max |score| (no outlier)")
        XCTAssertEqual(ScoreLimit.maxAbs.legend(limit: 5.9, clipped: 0), "scale ±5.9 = max |score|")
        XCTAssertEqual(ScoreLimit.fixed(0.5).legend(limit: 0.5, clipped: 3, unit: "patch"),
                       "scale ±0.5, fixed: 3 patches beyond, marked ▲")
    }

    /// All-zero scores leave the rules nothing to read: the legend says so instead of calling the
    /// default ±1 the maximum |score|; a fixed limit is still stated as fixed.
    func testLegendOfAllZeroScoresSaysSo() throws {
        XCTAssertTrue(ScoreLimit.allZero([0, -0, .nan]))
        XCTAssertFalse(ScoreLimit.allZero([0, 1e-30]))
        XCTAssertTrue(ScoreLimit.allZero(float32: [0, .infinity]))
        XCTAssertEqual(ScoreLimit.robust.legend(limit: 1, clipped: 0, allZero: true), "every token scores 0 (scale ±1 by default)")
        XCTAssertEqual(ScoreLimit.maxAbs.legend(limit: 1, clipped: 0, unit: "cell", allZero: true), "every cell scores 0 (scale ±1 by default)")
        XCTAssertEqual(ScoreLimit.fixed(0.5).legend(limit: 0.5, clipped: 0, allZero: true), "scale ±0.5, fixed")
        let strip = TokenStrip(tokens: ["a", "b", "c"], scores: [0, 0, 0])
        let report = try strip.render(to: file("zero.png"), scale: 1)
        XCTAssertTrue(report.notes.contains("every token scores 0 (scale ±1 by default)"), "\(report.notes)")
    }

    /// Pixels: with the robust scale the earlier " you" is strongly coloured and the clipped last
    /// token carries the corner mark; with max |score| the same token is pale and unmarked.
    func testRobustStripColoursMoreThanOneTokenAndMarksTheClippedOne() throws {
        let robust = TokenStrip(tokens: tokens, scores: scores, target: nil)
        let (report, picture) = try renderPNG(robust)
        XCTAssertEqual(robust.colorScale.upper, 1.24861, accuracy: 1e-12)
        let you = try XCTUnwrap(report.regions[.token(2)])
        let youColor = picture.color(you.x + 1.5, you.midY)
        assertColor(youColor, robust.colorScale.color(0.96408), tolerance: 3, "\" you\" on the robust scale")
        XCTAssertLessThan(youColor.g, 120, "clearly coloured, not near white")
        // The mark: the corner triangle of the clipped token is drawn in its contrasting ink.
        let last = try XCTUnwrap(report.regions[.token(7)])
        let corner = picture.color(last.maxX - 1.2, last.y + 1.2)
        let body = picture.color(last.x + 1.5, last.midY)
        XCTAssertGreaterThan(abs(corner.r - body.r) + abs(corner.g - body.g) + abs(corner.b - body.b), 150,
                             "a clipped token is marked in its corner")
        let unclipped = picture.color(you.maxX - 1.2, you.y + 1.2)
        XCTAssertLessThan(abs(unclipped.r - youColor.r) + abs(unclipped.g - youColor.g), 60, "an unclipped token is not marked")
        XCTAssertGreaterThan(picture.inkPixels(in: try XCTUnwrap(report.regions[.scaleLegend])), 50, "the legend line is drawn")
        XCTAssertTrue(report.notes.contains("scale ±1.25, robust (Tukey fence): 1 token beyond, marked ▲"), "\(report.notes)")

        let max = TokenStrip(tokens: tokens, scores: scores, scoreLimit: .maxAbs)
        let (maxReport, maxPicture) = try renderPNG(max)
        let paleYou = try XCTUnwrap(maxReport.regions[.token(2)])
        XCTAssertGreaterThan(maxPicture.color(paleYou.x + 1.5, paleYou.midY).g, 180, "on ±max the token is pale")
        XCTAssertTrue(maxReport.notes.contains("scale ±5.9 = max |score|"), "\(maxReport.notes)")
    }

    func testAFixedLimitOverridesTheRule() {
        let strip = TokenStrip(tokens: tokens, scores: scores, limit: 2, scoreLimit: .maxAbs)
        XCTAssertEqual(strip.limitRule, .fixed(2))
        XCTAssertEqual(strip.colorScale.upper, 2)
    }
}
