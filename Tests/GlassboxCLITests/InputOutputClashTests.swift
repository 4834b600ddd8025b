import Foundation
import GlassboxTestSupport
import XCTest

/// An output that is one of the run's own input files (`CommandInputs`): `--out` naming the
/// `--image`, the `--prompt-file`, the `--corpus`, an `evaluate --images` file or the image a
/// `render` result names is bad usage (exit 2, one line naming the input), and the input keeps its
/// bytes — as `batch --out` = `--in` and `evaluate --save-json` = `--prompts` already were. Red team
/// 31: each of these replaced the input with the picture (exit 0).
final class InputOutputClashTests: XCTestCase {
    private let vit = "Tests/Fixtures/models/vit-tiny"
    private let bert = "Tests/Fixtures/models/bert-cls"
    private let gpt2 = "Tests/Fixtures/models/gpt2-tiny"
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("input-output-clash") }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A copy of a fixture image in the temporary folder.
    private func image(_ name: String) throws -> String {
        try FileManager.default.copyItem(atPath: "Tests/Fixtures/images/gray8-7x5.png", toPath: path(name))
        return path(name)
    }

    /// Runs `arguments`, expecting the refusal naming `what`, and checks `input` kept `bytes`.
    private func assertRefused(_ arguments: [String], naming what: String, input: String, bytes: Data,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try runGlassbox(arguments)
        XCTAssertEqual(run.status, 2, run.stderr, file: file, line: line)
        XCTAssertEqual(run.stderrLines.count, 1, run.stderr, file: file, line: line)
        XCTAssertTrue(run.stderr.contains("is the \(what) of this run; writing it would destroy the input"),
                      run.stderr, file: file, line: line)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: input)), bytes, "\(input) was replaced", file: file, line: line)
    }

    /// `explain --image X --out X`, directly and through a symbolic link, is refused; another
    /// `--out` still draws.
    func testExplainOutThatIsTheImageIsRefused() throws {
        let input = try image("cat.png")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        try FileManager.default.createSymbolicLink(atPath: path("link.png"), withDestinationPath: input)
        for out in [input, path("link.png")] {
            try assertRefused(["explain", "--model", vit, "--image", input, "--method", "rollout", "--out", out],
                              naming: "--image file", input: input, bytes: bytes)
        }
        let other = try runGlassbox(["explain", "--model", vit, "--image", input, "--method", "rollout", "--out", path("other.png")])
        XCTAssertEqual(other.status, 0, other.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("other.png")))
    }

    /// `--prompt-file X --out X` is refused for the commands that draw (explain's page, lens).
    func testOutThatIsThePromptFileIsRefused() throws {
        for (command, name) in [("explain", "prompt.html"), ("lens", "prompt.svg")] {
            let input = path(name)
            try "the cat".write(toFile: input, atomically: true, encoding: .utf8)
            try assertRefused([command, "--model", bert, "--prompt-file", input, "--out", input],
                              naming: "--prompt-file", input: input, bytes: Data("the cat".utf8))
        }
    }

    /// `neurons --corpus X --out X` is refused once the corpus was read, before the picture is moved
    /// into place.
    func testNeuronsOutThatIsTheCorpusIsRefused() throws {
        let corpus = path("corpus.svg")
        let text = "the cat sat\n\nthe dog ran\n"
        try text.write(toFile: corpus, atomically: true, encoding: .utf8)
        try assertRefused(["neurons", "--model", gpt2, "--layer", "0", "--neuron", "1", "--corpus", corpus, "--out", corpus],
                          naming: "--corpus file", input: corpus, bytes: Data(text.utf8))
    }

    /// `render R.json --out X` where R is an image explanation of X is refused; `evaluate --images
    /// F --out F/X.png` too.
    func testRenderAndEvaluateOutThatIsAnInputImageIsRefused() throws {
        let input = try image("cat.png")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        let result = path("cat.json")
        let explained = try runGlassbox(["explain", "--model", vit, "--image", input, "--method", "rollout",
                                         "--out", path("first.png"), "--json"])
        XCTAssertEqual(explained.status, 0, explained.stderr)
        try Data(explained.stdout.utf8).write(to: URL(fileURLWithPath: result))
        try assertRefused(["render", result, "--out", input], naming: "image the result names", input: input, bytes: bytes)
        try assertRefused(["evaluate", "--model", vit, "--images", folder.path, "--methods", "rollout", "--steps", "2",
                           "--out", input], naming: "--images file", input: input, bytes: bytes)
    }

    /// `batch --pictures F` whose picture name `F/INDEX-ID.png` is the line's own `"image"`: that
    /// input's record is an error naming `--pictures`, and the image keeps its bytes.
    func testBatchPictureThatIsTheLineImageIsRefused() throws {
        let pictures = folder.appendingPathComponent("pictures")
        try FileManager.default.createDirectory(at: pictures, withIntermediateDirectories: true)
        let input = pictures.appendingPathComponent("0-a.png").path
        try FileManager.default.copyItem(atPath: "Tests/Fixtures/images/gray8-7x5.png", toPath: input)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        let lines = path("in.jsonl"), out = path("out.jsonl")
        try "{\"id\":\"a\",\"image\":\"\(input)\"}\n".write(toFile: lines, atomically: true, encoding: .utf8)
        let run = try runGlassbox(["batch", "--model", vit, "--in", lines, "--out", out, "--pictures", pictures.path,
                                   "--method", "rollout"])
        XCTAssertEqual(run.status, 1, run.stderr)
        let record = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(record.contains("--pictures \(input) is the --image file of this run"), record)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: input)), bytes, "the line's image was replaced")
    }
}
