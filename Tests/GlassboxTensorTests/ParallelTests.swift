import GlassboxTensor
import XCTest

final class ParallelTests: XCTestCase {
    /// Every index runs exactly once, for several counts and thread settings.
    func testParallelForVisitsEachIndexOnce() {
        let saved = Threading.threads
        defer { Threading.setThreads(saved) }
        for threads in [1, 2, 3] {
            Threading.setThreads(threads)
            XCTAssertEqual(Threading.threads, threads)
            for count in [0, 1, 2, 7, 1000] {
                var hits = [Int](repeating: 0, count: count)
                hits.withUnsafeMutableBufferPointer { buf in
                    guard let base = buf.baseAddress else { return }
                    let p = SendablePointer(base)
                    parallelFor(count) { i in p.base[i] += 1 }
                }
                XCTAssertEqual(hits, [Int](repeating: 1, count: count), "threads \(threads) count \(count)")
            }
        }
        Threading.setThreads(0)
        XCTAssertEqual(Threading.threads, 1, "values below 1 clamp to 1")
    }

    /// Results do not depend on the worker count (each row is computed by the same code).
    func testKernelsIndependentOfThreadCount() {
        let saved = Threading.threads
        defer { Threading.setThreads(saved) }
        var rng = SplitMix64(seed: 60)
        let x = rng.tensor([80, 1000], -5...5)
        var outputs: [Tensor] = []
        for threads in [1, 2] {
            Threading.setThreads(threads)
            var y = x
            softmaxLastDim(&y)
            var g = x
            geluErf(&g)
            outputs.append(added(y, g))
        }
        XCTAssertEqual(outputs[0], outputs[1])
    }
}
