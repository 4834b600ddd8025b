import Foundation
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// The thread count never changes a result: `explain --json` on the bundled GPT-2 (d 128, d_ff 512)
/// with 20 token ids is byte-identical on 1, 2 and 3 threads. At 20 rows its MLP products
/// (1.3·10⁶ multiply-adds) are large enough to be cut into slices, and before the slices followed
/// the worker count, OpenBLAS ran two half-products with another kernel than one whole one and
/// the scores differed in the last digits (3 of 3 seeded inputs).
final class ThreadCountResultTests: XCTestCase {
    func testExplanationBitsDoNotDependOnThreads() throws {
        var rng = SplitMix64(seed: 20)
        for _ in 0..<2 {
            let ids = (0..<20).map { _ in String(Int(rng.next() % 2_000)) }.joined(separator: ",")
            var outputs: [String] = []
            for threads in [1, 2, 3] {
                let out = try runGlassbox(["explain", "--ids", ids, "--threads", "\(threads)", "--json"])
                XCTAssertEqual(out.status, 0, out.stderr)
                outputs.append(out.stdout)
            }
            XCTAssertEqual(outputs[1], outputs[0], "ids \(ids): 2 threads")
            XCTAssertEqual(outputs[2], outputs[0], "ids \(ids): 3 threads")
        }
    }

    /// Likewise the explanation of a continuation (one packed reverse sweep per run of targets):
    /// the runs follow the processor count, not `--threads`, so the packed products keep their
    /// shapes. Before, 1 and 2 threads packed the targets differently and the scores differed.
    func testContinuationBitsDoNotDependOnThreads() throws {
        var outputs: [String] = []
        for threads in [1, 2, 3] {
            let out = try runGlassbox(["explain", "To be, or not to be, that is the question: whether tis nobler in the mind",
                                       "--continuation", " to suffer the slings and arrows", "--threads", "\(threads)", "--json"])
            XCTAssertEqual(out.status, 0, out.stderr)
            outputs.append(out.stdout)
        }
        XCTAssertEqual(outputs[1], outputs[0], "2 threads")
        XCTAssertEqual(outputs[2], outputs[0], "3 threads")
    }
}
