import Foundation
import GlassboxTestSupport
import XCTest

/// Arguments that are not valid UTF-8: the message suggests `--replace-invalid-utf8` only to the
/// commands that have it, and the option replaces bytes of the prompt only — a path or another
/// option's value that is not UTF-8 is still an error (it used to be rewritten with U+FFFD, so
/// `--out $'a\xffb.png'` wrote a file of another name).
final class InvalidUTF8ArgumentTests: XCTestCase {
    private let model = "Tests/Fixtures/models/gpt2-tiny"
    /// The commands with `--replace-invalid-utf8` (docs/cli.md, "The input").
    private let commandsWithOption = ["tokenize", "predict", "explain", "attention", "lens", "trace", "generate", "neurons"]

    func testOnlyCommandsWithTheOptionSuggestIt() throws {
        let hint = "or pass --replace-invalid-utf8"
        let without: [[String]] = [
            ["patch", "--model", model, "--clean", "a\u{FF}", "--corrupted", "ab"],
            ["path", "--model", model, "--clean", "a\u{FF}", "--corrupted", "ab", "--receivers", "resid"],
            ["render", "a\u{FF}.json"],
            ["info", "--model", "a\u{FF}"],
            ["evaluate", "--model", model, "a\u{FF}"],
        ]
        for arguments in without {
            let run = try runGlassboxShell(Self.shell(arguments))
            XCTAssertEqual(run.status, 1, "\(arguments): \(run.stderr)")
            XCTAssertEqual(run.stderrLines.count, 1, run.stderr)
            XCTAssertTrue(run.stderr.contains("is not valid UTF-8: byte 0xFF at byte offset 1; fix the text"), run.stderr)
            XCTAssertFalse(run.stderr.contains("replace-invalid-utf8"), "\(arguments): \(run.stderr)")
        }
        let with = try runGlassboxShell(Self.shell(["predict", "--model", model, "a\u{FF}"]))
        XCTAssertEqual(with.status, 1, with.stderr)
        XCTAssertTrue(with.stderr.contains(hint), with.stderr)
    }

    /// The list above is the commands whose help shows the option, and no other.
    func testTheOptionIsOnExactlyThoseCommands() throws {
        let help = try runGlassbox(["--help"]).stdout
        let subcommands = help.components(separatedBy: "SUBCOMMANDS:").last!.split(separator: "\n")
            .compactMap { $0.split(separator: " ").first.map(String.init) }
            .filter { $0.allSatisfy { $0.isLowercase } && $0 != "help" }
        XCTAssertGreaterThanOrEqual(subcommands.count, 16, help)
        for command in subcommands {
            let has = try runGlassbox([command, "--help"]).stdout.contains("--replace-invalid-utf8")
            XCTAssertEqual(has, commandsWithOption.contains(command), command)
        }
    }

    func testOptionReplacesThePromptOnly() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("utf8-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("a\u{FF}b.png").path          // "\u{FF}" is the raw byte 0xFF below
        let run = try runGlassboxShell(Self.shell(["explain", "--model", model, "--ids", "1,2", "--replace-invalid-utf8", "--out", out]))
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertEqual(run.stderrLines.count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("(--replace-invalid-utf8 replaces invalid bytes in the prompt only)"), run.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], "no file of any name")
        // The prompt itself, however it is given, is replaced.
        for prompt in [["I pray \u{FF} you"], ["--prompt", "I pray \u{FF} you"], ["--prompt=I pray \u{FF} you"]] {
            let ok = try runGlassboxShell(Self.shell(["tokenize", "--model", "shakespeare-gpt2", "--replace-invalid-utf8", "--json"] + prompt))
            XCTAssertEqual(ok.status, 0, "\(prompt): \(ok.stderr)")
            XCTAssertTrue(ok.stdout.contains("I pray \u{FFFD} you"), ok.stdout)
        }
    }

    /// `--chat`'s `--system` text is replaced too, given apart or after `=`; a path whose text equals
    /// the prompt's is still refused (which option an argument fed is what counts, not its text).
    func testSystemTextIsReplacedAndAPathEqualToThePromptIsNot() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("utf8-chat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = Fixtures.root.appendingPathComponent("Sources/GlassboxDefaults/Models/shakespeare-gpt2")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name != "tokenizer_config.json" {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name),
                                                       withDestinationURL: source.appendingPathComponent(name))
        }
        let template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
        try JSONSerialization.data(withJSONObject: ["chat_template": template]).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        for system in [["--system", "be \u{FF}brief"], ["--system=be \u{FF}brief"]] {
            let run = try runGlassboxShell(Self.shell(["tokenize", "--model", folder.path, "--chat", "--replace-invalid-utf8", "--json"]
                                                      + system + ["hello"]))
            XCTAssertEqual(run.status, 0, "\(system): \(run.stderr)")
            XCTAssertTrue(run.stdout.contains("system: be \u{FFFD}brief\\nuser: hello"), run.stdout)
        }
        let out = folder.appendingPathComponent("x\u{FF}.png").path
        let same = try runGlassboxShell(Self.shell(["explain", "--model", folder.path, "--replace-invalid-utf8", out, "--out", out]))
        XCTAssertEqual(same.status, 1, same.stderr)
        XCTAssertTrue(same.stderr.contains("argument 7") && same.stderr.contains("in the prompt only"), same.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("x\u{FFFD}.png").path))
    }

    /// A shell command line with each argument single-quoted, `U+00FF` written as the raw byte 0xFF
    /// (`printf '%b'`, whose `\\0377` is that byte).
    private static func shell(_ arguments: [String]) -> String {
        "\"$GLASSBOX\" " + arguments.map { argument in
            let quoted = "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
            guard argument.contains("\u{FF}") else { return quoted }
            return "\"$(printf '%b' " + quoted.replacingOccurrences(of: "\u{FF}", with: "\\0377") + ")\""
        }.joined(separator: " ")
    }
}
