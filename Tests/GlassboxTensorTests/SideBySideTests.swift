import Foundation
import GlassboxTensor
import XCTest

/// `sideBySide`: every task runs once, tasks run single-threaded, the thread setting comes back
/// afterwards (also after a failure), and the first error is rethrown.
final class SideBySideTests: XCTestCase {
    struct Failure: Error, Equatable { let index: Int }

    /// What the tasks saw, under a lock.
    final class Record: @unchecked Sendable {
        let lock = NSLock()
        var hits: [Int]
        var threads = Set<Int>()
        init(_ count: Int) { hits = [Int](repeating: 0, count: count) }
        func hit(_ i: Int, threads seen: Int) { lock.withLock { hits[i] += 1; threads.insert(seen) } }
    }

    func testEveryTaskOnceSingleThreadedAndTheSettingRestored() throws {
        let saved = Threading.threads
        defer { Threading.setThreads(saved) }
        for threads in [1, 2, 3] {
            Threading.setThreads(threads)
            for count in [0, 1, 5, 40] {
                let record = Record(count)
                try sideBySide(count) { i in record.hit(i, threads: Threading.threads) }
                XCTAssertEqual(record.hits, [Int](repeating: 1, count: count), "threads \(threads) count \(count)")
                if count >= 2 && threads >= 2 { XCTAssertEqual(record.threads, [1], "tasks run single-threaded") }
                XCTAssertEqual(Threading.threads, threads, "the setting is restored")
            }
        }
    }

    func testTheFirstErrorIsRethrownAndTheSettingRestored() {
        let saved = Threading.threads
        defer { Threading.setThreads(saved) }
        Threading.setThreads(2)
        XCTAssertThrowsError(try sideBySide(6) { i in if i == 3 { throw Failure(index: i) } }) { error in
            XCTAssertEqual(error as? Failure, Failure(index: 3))
        }
        XCTAssertEqual(Threading.threads, 2)
    }
}
