import Foundation
import GlassboxTestSupport
import XCTest

/// A refused floating-point option names the value as the user typed it: `--top-p 0` was refused
/// with "got 0.0", and `--gradient-step 1e-50` (0 as a Float) with "got 0.0" too.
final class TypedNumberMessageTests: XCTestCase {
    private let tiny = "Tests/Fixtures/models/gpt2-tiny"

    func testEveryFloatingPointOptionEchoesWhatWasTyped() throws {
        let explain = ["explain", "--model", tiny, "--ids", "1,2", "--out", "x.png"]
        let generate = ["generate", "--model", tiny, "--ids", "1,2"]
        let verify = ["verify", "--model", tiny, "--ids", "1,2"]
        let cases: [(arguments: [String], message: String)] = [
            (generate + ["--top-p", "0"], "--top-p: top-p must be in (0, 1], got 0"),
            (generate + ["--top-p", "2"], "--top-p: top-p must be in (0, 1], got 2"),
            (generate + ["--temperature", "0"], "--temperature: the temperature must be a number above 0, got 0"),
            (generate + ["--temperature", "-1e-320"], "--temperature: the temperature must be a number above 0, got -1e-320"),
            (explain + ["--method", "rollout", "--discard-ratio", "-1"], "--discard-ratio must be in [0, 1), got -1"),
            (explain + ["--method", "atman", "--factor", "2"], "--factor must be in [0, 1], got 2"),
            (explain + ["--method", "atman", "--factor", "1e308"], "--factor must be in [0, 1], got 1e308"),
            (explain + ["--method", "atman", "--kappa", "-2"], "--kappa must be in [-1, 1], got -2"),
            (explain + ["--color-limit", "0"], "--color-limit must be a positive number, got 0"),
            (verify + ["--gradient-step", "1e-50"], "--gradient-step must be a positive number, got 1e-50"),
            (verify + ["--gradient-tolerance", "0"], "--gradient-tolerance must be a positive number, got 0"),
            (verify + ["--reference-atol", "-1"], "--reference-atol must be a number ≥ 0, got -1"),
            (verify + ["--reference-rtol", "inf"], "--reference-rtol must be a number ≥ 0, got inf"),
            (["trace", "--model", tiny, "--ids", "1,2,3", "--noise-span", "0:1", "--noise-scale", "-3"],
             "--noise-scale must be > 0 (0 adds no noise, so there is nothing to restore), got -3"),
        ]
        for (arguments, message) in cases {
            let run = try runGlassbox(arguments)
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stderr)")
            let line = run.stderrLines.first { $0.hasPrefix("glassbox: error:") } ?? ""
            XCTAssertEqual(line, "glassbox: error: \(message) (see `glassbox help`)", "\(arguments)")
        }
    }

    /// Defaults still show as numbers in help, and values still parse as before.
    func testDefaultsAndValuesAreUnchanged() throws {
        let help = try runGlassbox(["verify", "--help"])
        XCTAssertTrue(help.stdout.contains("(default: 0.01)") && help.stdout.contains("(default: 0.0001)"), help.stdout)
        let bad = try runGlassbox(["generate", "--model", tiny, "--ids", "1,2", "--top-p", "lots"])
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("--top-p") && bad.stderr.contains("lots"), bad.stderr)
        let run = try runGlassbox(["generate", "--model", tiny, "--ids", "1,2", "--top-p", "0.5", "--temperature", "2", "--max-tokens", "2"])
        XCTAssertEqual(run.status, 0, run.stderr)
    }
}
