import GlassboxAnalysis
import XCTest

extension CausalTracing.Options {
    /// The options a reference generator recorded for its trace (`span` `[a, b]`, `scale`,
    /// `samples`, `seed`, `window`), so the test runs the trace the reference ran.
    init(reference trace: [String: Any]) throws {
        let span = try XCTUnwrap(trace["span"] as? [Int])
        self.init(noiseSpan: span[0]..<span[1])
        noiseScale = Float(try XCTUnwrap(trace["scale"] as? Double))
        samples = try XCTUnwrap(trace["samples"] as? Int)
        seed = UInt64(try XCTUnwrap(trace["seed"] as? Int))
        window = try XCTUnwrap(trace["window"] as? Int)
    }
}
