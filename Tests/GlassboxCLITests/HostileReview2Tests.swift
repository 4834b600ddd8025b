import Foundation
import GlassboxTestSupport
import XCTest

/// Hostile-input cases of the second review: each is one clear, inert line on stderr and the
/// right exit status, never a trap.
final class HostileReview2Tests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-hostile2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A reference hook whose shape product overflows but holds a 0 (`[2³², 2³², 0]`, no data) is
    /// refused with one line; it trapped in `Tensor.init` when the saturated product times 0 gave 0.
    func testReferenceShapeThatOverflowsBeforeAZeroIsRefused() throws {
        let source = Fixtures.root.appendingPathComponent("Tests/Fixtures/traces/bert-cls.json")
        var trace = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: source)) as? [String: Any])
        var hooks = try XCTUnwrap(trace["hooks"] as? [[String: Any]])
        hooks[0]["shape"] = [4_294_967_296, 4_294_967_296, 0]
        hooks[0]["data"] = [Double]()
        trace["hooks"] = hooks
        try JSONSerialization.data(withJSONObject: trace).write(to: URL(fileURLWithPath: path("trace.json")))
        let run = try runGlassbox(["verify", "--model", "Tests/Fixtures/models/bert-cls", "--reference", path("trace.json")])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertEqual(run.stderrLines.count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("too large"), run.stderr)
    }
}
