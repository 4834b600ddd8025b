import Foundation
import GlassboxTestSupport
import XCTest

/// `--prompt-file FILE`: the prompt read from a file gives the tokens `--prompt "$(cat FILE)"`
/// gives, including prompts longer than Linux lets one argument be (128 KiB), and a bad file is
/// one line naming it.
final class PromptFileTests: XCTestCase {
    private let model = "shakespeare-gpt2"
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("prompt-file") }

    private func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func ids(_ arguments: [String]) throws -> [Int] {
        let run = try runGlassbox(["tokenize", "--model", model, "--json"] + arguments)
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let tokens = try XCTUnwrap(object["tokens"] as? [[String: Any]])
        return tokens.compactMap { $0["id"] as? Int }
    }

    /// Trailing line breaks are dropped as `"$(cat FILE)"` drops them (a trailing `\r\n` whole, where
    /// the shell would keep the `\r`); inner ones are kept.
    func testFileGivesTheTokensOfTheSamePrompt() throws {
        let text = "To be, or not to be:\nthat is the question"
        let expected = try ids(["--prompt", text])
        XCTAssertGreaterThan(expected.count, 8)
        for (name, suffix) in [("plain", ""), ("newline", "\n"), ("blank-lines", "\n\n\n"), ("crlf", "\r\n")] {
            let path = try file(name + ".txt", Array((text + suffix).utf8))
            XCTAssertEqual(try ids(["--prompt-file", path]), expected, name)
        }
        // A trailing space is text, not a line break: it stays.
        let spaced = try file("space.txt", Array((text + " ").utf8))
        XCTAssertEqual(try ids(["--prompt-file", spaced]), try ids(["--prompt", text + " "]))
    }

    /// 24,000 words (144 KB): too long for one argument, read from the file; the ids are the
    /// short prompt's pattern repeated (the first word, then the same ids for every " word").
    func testPromptLongerThanOneArgumentMayBe() throws {
        let one = try ids(["--prompt", "hello"]), two = try ids(["--prompt", "hello hello"])
        let repeated = Array(two[one.count...])
        XCTAssertFalse(repeated.isEmpty)
        let words = 24_000
        let path = try file("long.txt", Array(([String](repeating: "hello", count: words).joined(separator: " ") + "\n").utf8))
        let long = try ids(["--prompt-file", path])
        XCTAssertEqual(long.count, one.count + (words - 1) * repeated.count)
        XCTAssertEqual(long, one + Array([[Int]](repeating: repeated, count: words - 1).joined()))
    }

    /// Other commands read it too: `predict --json` is the same as with `--prompt`.
    func testPredictReadsTheFile() throws {
        let text = "The king is"
        let path = try file("king.txt", Array((text + "\n").utf8))
        let fromFile = try runGlassbox(["predict", "--model", model, "--prompt-file", path, "--json"])
        let typed = try runGlassbox(["predict", "--model", model, "--prompt", text, "--json"])
        XCTAssertEqual(fromFile.status, 0, fromFile.stderr)
        XCTAssertEqual(fromFile.stdout, typed.stdout)
    }

    func testBadFilesAreOneLineNamingThem() throws {
        let missing = folder.appendingPathComponent("missing.txt").path
        let invalid = try file("latin1.txt", [0x63, 0x61, 0x66, 0xE9])          // "café" in Latin-1
        let empty = try file("empty.txt", [0x0A, 0x0A])
        let cases: [(arguments: [String], status: Int32, message: String)] = [
            (["--prompt-file", missing], 1, "\(missing): no such file; check the path"),
            (["--prompt-file", folder.path], 1, "'\(folder.path)' is a folder, not a regular file"),
            (["--prompt-file", invalid], 1, "'\(invalid)' is not valid UTF-8: byte 0xE9 at byte offset 3"),
            (["--prompt-file", empty], 1, "the input is empty"),
            (["--prompt-file", empty, "--ids", "1"], 2, "give one input: a prompt, --ids or --image"),
        ]
        for (arguments, status, message) in cases {
            let run = try runGlassbox(["predict", "--model", model] + arguments)
            XCTAssertEqual(run.status, status, "\(arguments): \(run.stderr)")
            XCTAssertEqual(run.stderrLines.count, 1, run.stderr)
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        // --replace-invalid-utf8 reads the Latin-1 byte as U+FFFD, as it does for an argument.
        XCTAssertEqual(try ids(["--prompt-file", invalid, "--replace-invalid-utf8"]), try ids(["--prompt", "caf\u{FFFD}"]))
    }
}
