import Foundation
import Glassbox
import XCTest

/// The allocator settings the CLI and the benchmark make at start (docs/benchmarks.md).
final class AllocatorSettingsTests: XCTestCase {
    func testEverySettingNotGivenInTheEnvironmentIsApplied() {
        let environment = ProcessInfo.processInfo.environment
        let expected = AllocatorSettings.values.map(\.variable).filter { environment[$0] == nil }
        XCTAssertEqual(AllocatorSettings.apply(), expected, "mallopt accepted each value")
        XCTAssertEqual(AllocatorSettings.values.map(\.value), [32 << 20, Int32.max, 256 << 20])
    }

    func testTheCLISourceAppliesThemBeforeAnythingElse() throws {
        // main.swift's first statement; the benchmark's entry point likewise.
        let main = try String(contentsOfFile: "Sources/glassbox/main.swift", encoding: .utf8)
        let statements = main.split(separator: "\n").filter { !$0.hasPrefix("//") && !$0.hasPrefix("import") && !$0.isEmpty }
        XCTAssertTrue(statements.first?.hasPrefix("AllocatorSettings.apply()") == true, "\(statements.first ?? "")")
        let bench = try String(contentsOfFile: "Sources/glassbox-bench/Bench+Allocator.swift", encoding: .utf8)
        XCTAssertTrue(bench.contains("AllocatorSettings.apply()"))
        let relevance = try String(contentsOfFile: "Sources/glassbox-bench/RelevanceBenchmark.swift", encoding: .utf8)
        XCTAssertFalse(relevance.contains("\"MALLOC_"), "the benchmark sets no allocator environment")
    }
}
