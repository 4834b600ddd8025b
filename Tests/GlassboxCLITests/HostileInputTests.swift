import Foundation
import GlassboxTestSupport
import XCTest

/// Issue 18, items 5 and 6: a failed run leaves every existing file untouched; options that do not
/// apply are usage errors (exit 2); every error is one line naming what is wrong, never Foundation's
/// or libpng's own text.
final class HostileInputTests: XCTestCase {
    let tiny = "Tests/Fixtures/models/gpt2-tiny"
    let odd = "Tests/Fixtures/models/gpt2-odd"
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("hostile") }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Runs `arguments`; asserts the exit status, one line on stderr starting with
    /// `glassbox: error: ` and containing every fragment, empty stdout, and no Foundation text.
    @discardableResult
    private func assertFails(_ arguments: [String], status: Int32, mentions fragments: String...,
                             file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let output = try runGlassbox(arguments)
        XCTAssertEqual(output.status, status, "exit status of \(arguments): \(output.stderr)", file: file, line: line)
        XCTAssertEqual(output.stdout, "", "stdout of \(arguments)", file: file, line: line)
        XCTAssertEqual(output.stderrLines.count, 1, "one line expected for \(arguments), got: \(output.stderr)", file: file, line: line)
        let first = output.stderrLines.first ?? ""
        XCTAssertTrue(first.hasPrefix("glassbox: error: "), first, file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(first.contains(fragment), "'\(fragment)' not in: \(first)", file: file, line: line)
        }
        for foreign in ["NSCocoaErrorDomain", "Error Domain", "UserInfo", "Read Error", "IHDR", "Missing value",
                        "The operation could not be completed", "You don’t have permission", "Unable to encode"] {
            XCTAssertFalse(first.contains(foreign), "'\(foreign)' in: \(first)", file: file, line: line)
        }
        return first
    }

    /// Files in the test folder (hidden temporaries included) with their bytes (nil for folders).
    private func snapshot() throws -> [String: Data?] {
        var files: [String: Data?] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path(name), isDirectory: &isFolder)
            files[name] = isFolder.boolValue ? nil : try Data(contentsOf: folder.appendingPathComponent(name))
        }
        return files
    }

    private func write(_ text: String, _ name: String) throws {
        try Data(text.utf8).write(to: folder.appendingPathComponent(name))
    }

    // MARK: - 5. All or nothing

    func testSecondPictureThatCannotBeWrittenLeavesTheFirstUntouched() throws {
        try write("old picture", "why.png")
        try FileManager.default.createDirectory(atPath: path("why-heads.png"), withIntermediateDirectories: false)
        let before = try snapshot()
        try assertFails(["explain", "--model", tiny, "--ids", "1,2,3", "--heads", "--out", path("why.png")], status: 1,
                        mentions: path("why-heads.png"), "folder")
        XCTAssertEqual(try snapshot(), before)
    }

    func testThirdPictureThatCannotBeWrittenLeavesTheOthersUntouched() throws {
        try write("old picture", "why.svg")
        try write("old heads", "why-heads.svg")
        try FileManager.default.createDirectory(atPath: path("why-neurons.svg"), withIntermediateDirectories: false)
        let before = try snapshot()
        try assertFails(["explain", "--model", tiny, "--ids", "1,2,3", "--heads", "--neurons", "--json", "--out", path("why.svg")],
                        status: 1, mentions: path("why-neurons.svg"))
        XCTAssertEqual(try snapshot(), before)
    }

    func testUnwritableJSONResultLeavesThePictureUntouched() throws {
        // A checkpoint whose embedding row 100 is NaN: the logits (tied to the embeddings) hold NaN,
        // so the result cannot be written as JSON (or, with load-time checks, the model is refused).
        let model = folder.appendingPathComponent("nan-model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        let source = URL(fileURLWithPath: "Tests/Fixtures/models/gpt2-tiny", relativeTo: Fixtures.root)
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: model.appendingPathComponent("config.json"))
        var weights = try Data(contentsOf: source.appendingPathComponent("model.safetensors"))
        let headerLength = Int(weights.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: weights.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        let wte = try XCTUnwrap((header["transformer.wte.weight"] as? [String: Any])?["data_offsets"] as? [Int])
        let nan = withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { Data($0) }
        let at = 8 + headerLength + wte[0] + 100 * 32 * 4
        weights.replaceSubrange(at..<(at + 4), with: nan)
        try weights.write(to: model.appendingPathComponent("model.safetensors"))

        for command in [["explain", "--method", "rollout"], ["lens"]] {
            try write("old picture", "result.png")
            let output = try runGlassbox(command + ["--model", model.path, "--ids", "1,2,3", "--json", "--out", path("result.png")])
            XCTAssertEqual(output.status, 1, "\(command): \(output.stderr)")
            XCTAssertEqual(output.stdout, "", "\(command)")
            XCTAssertEqual(output.stderrLines.count, 1, output.stderr)
            XCTAssertFalse(output.stderr.contains("Unable to encode") || output.stderr.contains("Error Domain"), output.stderr)
            XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("result.png")), Data("old picture".utf8), "\(command)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["nan-model", "result.png"])
        }
    }

    func testSuccessfulRunReplacesEveryPictureAndLeavesNoTemporaries() throws {
        try write("old picture", "why.png")
        try write("old heads", "why-heads.png")
        let output = try runGlassbox(["explain", "--model", tiny, "--ids", "1,2,3", "--heads", "--neurons", "--out", path("why.png")])
        XCTAssertEqual(output.status, 0, output.stderr)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(names, ["why-heads.png", "why-neurons.png", "why.png"])
        for name in names {
            XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent(name)).prefix(4), Data([0x89, 0x50, 0x4E, 0x47]), name)
        }
    }

    // MARK: - 6. Options that do not apply are usage errors

    func testMethodSpecificOptionsOfOtherMethodsAreUsageErrors() throws {
        let base = ["explain", "--model", tiny, "--ids", "1,2,3", "--out", path("x.png")]
        let cases: [([String], String)] = [
            (["--method", "rollout", "--factor", "0.2"], "--factor"),
            (["--kappa", "0.2"], "--kappa"),
            (["--method", "gae", "--no-conceptual"], "--no-conceptual"),
            (["--method", "attention", "--granularity", "word"], "--granularity"),
            (["--no-residual"], "--no-residual"),
            (["--method", "atman", "--discard-ratio", "0.5"], "--discard-ratio"),
            (["--method", "cp-lrp", "--start-layer", "1"], "--start-layer"),
            (["--method", "grad-input", "--head-fusion", "max"], "--head-fusion"),
            (["--neuron-count", "5"], "--neuron-count"),
            (["--color-scale", "max", "--color-limit", "2"], "--color-limit"),
        ]
        for (options, option) in cases {
            try assertFails(base + options, status: 2, mentions: option)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.png")))
    }

    func testOtherCommandsOptionsThatDoNotApplyAreUsageErrors() throws {
        try assertFails(["attention", "--model", tiny, "--ids", "1,2", "--query", "1", "--out", path("a.png")], status: 2,
                        mentions: "--query", "lines")
        try assertFails(["attention", "--model", tiny, "--ids", "1,2", "--view", "matrix", "--tile", "8", "--out", path("a.png")],
                        status: 2, mentions: "--tile", "grid")
        try assertFails(["project", "--model", tiny, "--layer", "0", "--head", "1", "--neuron", "3", "--out", path("a.png")],
                        status: 2, mentions: "--neuron")
        try assertFails(["project", "--model", tiny, "--layer", "0", "--what", "ffn-key", "--head", "1", "--out", path("a.png")],
                        status: 2, mentions: "--head")
        try assertFails(["neurons", "--model", tiny, "--layer", "0", "--neuron", "1", "--position", "0", "--out", path("a.png")],
                        status: 2, mentions: "--position")
        try assertFails(["tokenize", "--model", tiny, "--ids", "1,2", "--no-special-tokens"], status: 2, mentions: "--no-special-tokens")
        try assertFails(["predict", "--model", "Tests/Fixtures/models/bert-cls", "--ids", "2,5,3", "--position", "1"], status: 2,
                        mentions: "--position")
        try assertFails(["explain", "--model", "Tests/Fixtures/models/bert-cls", "--ids", "2,5,3", "--position", "1", "--out", path("a.png")],
                        status: 2, mentions: "--position")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("a.png")))
    }

    func testProjectWithoutNeuronOrHeadIsAUsageError() throws {
        try assertFails(["project", "--model", tiny, "--layer", "0", "--out", path("p.png")], status: 2, mentions: "--neuron")
        try assertFails(["project", "--model", tiny, "--layer", "0", "--what", "qk", "--out", path("p.png")], status: 2, mentions: "--head")
    }

    func testEveryEnumOptionListsItsValuesOnOneLine() throws {
        let cases: [([String], [String])] = [
            (["explain", "--method"], ["attnlrp", "cp-lrp", "grad-input", "atman", "rollout", "flow", "gae", "chefer", "attention"]),
            (["explain", "--granularity"], ["token", "word", "sentence"]),
            (["explain", "--head-fusion"], ["mean", "max", "min"]),
            (["explain", "--seed"], ["logit", "contrastive"]),
            (["explain", "--color-scale"], ["robust", "max"]),
            (["attention", "--view"], ["matrix", "grid", "lines"]),
            (["lens", "--site"], ["resid", "attn", "mlp"]),
            (["project", "--what"], ["ffn-key", "ffn-value", "ov", "qk"]),
            (["project", "--filter"], ["all", "ascii", "alnum"]),
        ]
        for (command, values) in cases {
            let line = try assertFails(command + ["magic"], status: 2, mentions: "'magic'")
            for value in values { XCTAssertTrue(line.contains("'\(value)'"), "\(value) not listed in: \(line)") }
        }
    }

    func testNegativeNumbersAreReadAsValues() throws {
        try assertFails(["predict", "--model", tiny, "--ids", "1", "--top-k", "-1"], status: 2, mentions: "--top-k", "-1")
        try assertFails(["lens", "--model", tiny, "--ids", "1", "--top-k", "-3"], status: 2, mentions: "--top-k", "-3")
        try assertFails(["explain", "--model", tiny, "--ids", "1", "--color-limit", "-1"], status: 2, mentions: "--color-limit", "-1")
        try assertFails(["explain", "--model", tiny, "--ids", "1", "--method", "rollout", "--discard-ratio", "-0.5"], status: 2,
                        mentions: "--discard-ratio", "-0.5")
        try assertFails(["predict", "--model", tiny, "--ids", "1", "--threads", "-2"], status: 2, mentions: "--threads", "-2")
        try assertFails(["predict", "--model", tiny, "--ids", "1,2", "--position", "-1"], status: 1, mentions: "--position -1")
        try assertFails(["predict", "--model", tiny, "--ids", "-1,2"], status: 1, mentions: "token id -1")
    }

    // MARK: - 6. Messages

    func testFileErrorsNameThePath() throws {
        try assertFails(["neurons", "--model", tiny, "--layer", "0", "--corpus", "/no/such/corpus.txt"], status: 1,
                        mentions: "/no/such/corpus.txt", "no such file")
        try assertFails(["neurons", "--model", tiny, "--layer", "0", "--corpus", folder.path], status: 1,
                        mentions: folder.path, "folder")
        try Data([0x66, 0xFF, 0xFE, 0x0A]).write(to: folder.appendingPathComponent("latin.txt"))
        try assertFails(["neurons", "--model", tiny, "--layer", "0", "--corpus", path("latin.txt")], status: 1,
                        mentions: path("latin.txt"), "UTF-8")
        try assertFails(["render", "/no/such/result.json"], status: 1, mentions: "/no/such/result.json", "no such file")
        try assertFails(["render", "/dev/null"], status: 1, mentions: "/dev/null", "not a regular file")
        try assertFails(["render", folder.path], status: 1, mentions: folder.path, "folder")
        try assertFails(["explain", "--model", tiny, "--ids", "1,2", "--out", "/no/such/folder/x.png"], status: 1,
                        mentions: "/no/such/folder")
    }

    func testDamagedImagesAreDescribed() throws {
        let source = try Data(contentsOf: Fixtures.root.appendingPathComponent("Tests/Fixtures/images/rgb8-100x33.png"))
        try source.prefix(source.count / 2).write(to: folder.appendingPathComponent("cut.png"))
        try assertFails(["predict", "--model", "Tests/Fixtures/models/vit-tiny", "--image", path("cut.png")], status: 1,
                        mentions: "\(path("cut.png")) is not a readable PNG: it ends early (truncated)")
        // Damaged, not truncated: each says what is wrong, none guesses "truncated".
        let ihdrAt = 12   // the IHDR chunk type; its 13 data bytes follow, then the CRC
        func edited(_ name: String, _ edit: (inout [UInt8]) -> Void, fixCRC: Bool) throws -> String {
            var bytes = [UInt8](source)
            edit(&bytes)
            if fixCRC {
                withUnsafeBytes(of: crc32(Data(bytes[ihdrAt..<(ihdrAt + 17)])).bigEndian) { bytes.replaceSubrange((ihdrAt + 17)..<(ihdrAt + 21), with: $0) }
            }
            try Data(bytes).write(to: folder.appendingPathComponent(name))
            return path(name)
        }
        let idat = try XCTUnwrap(source.range(of: Data("IDAT".utf8))).lowerBound - source.startIndex
        let damaged: [(String, String)] = [
            (try edited("crc.png", { $0[ihdrAt + 20] ^= 0xFF }, fixCRC: false), "a chunk's checksum does not match"),
            (try edited("depth7.png", { $0[ihdrAt + 12] = 7 }, fixCRC: true), "its header is invalid"),
            (try edited("noplte.png", { $0[ihdrAt + 13] = 3 }, fixCRC: true), "it is a palette image without its palette"),
            (try edited("zlib.png", { $0[idat + 6] ^= 0xFF }, fixCRC: false), "its compressed image data is damaged"),
        ]
        for (file, why) in damaged {
            let message = try assertFails(["predict", "--model", "Tests/Fixtures/models/vit-tiny", "--image", file], status: 1,
                                          mentions: "\(file) is not a readable PNG: \(why)")
            XCTAssertFalse(message.contains("truncated"), message)
        }

        // A valid header announcing 40000 × 30000 pixels.
        var ihdr = Data("IHDR".utf8)
        for value in [UInt32(40_000), UInt32(30_000)] { withUnsafeBytes(of: value.bigEndian) { ihdr.append(contentsOf: $0) } }
        ihdr.append(contentsOf: [8, 2, 0, 0, 0])
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]) + ihdr
        withUnsafeBytes(of: crc32(ihdr).bigEndian) { png.append(contentsOf: $0) }
        try png.write(to: folder.appendingPathComponent("huge.png"))
        try assertFails(["predict", "--model", "Tests/Fixtures/models/vit-tiny", "--image", path("huge.png")], status: 1,
                        mentions: "40000×30000", "larger than the limit")
    }

    private func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    // MARK: - render reads every result with a picture

    func testRenderRedrawsEveryResultWithAPicture() throws {
        let runs: [(String, [String])] = [
            ("explain", ["explain", "--model", odd, "--ids", "5,8,13,21"]),
            ("attention", ["attention", "--model", odd, "--ids", "5,8,13,21"]),
            ("attention-lines", ["attention", "--model", odd, "--ids", "5,8,13,21", "--view", "lines", "--query", "2"]),
            ("lens", ["lens", "--model", odd, "--ids", "5,8,13,21"]),
            ("project", ["project", "--model", odd, "--layer", "1", "--head", "0"]),
            ("neurons", ["neurons", "--model", odd, "--layer", "1", "--ids", "5,8,13"]),
        ]
        for (name, arguments) in runs {
            let output = try runGlassbox(arguments + ["--json", "--out", path("\(name)-original.svg")])
            XCTAssertEqual(output.status, 0, "\(name): \(output.stderr)")
            try Data(output.stdout.utf8).write(to: folder.appendingPathComponent("\(name).json"))
            let render = try runGlassbox(["render", path("\(name).json"), "--out", path("\(name)-redrawn.svg")])
            XCTAssertEqual(render.status, 0, "\(name): \(render.stderr)")
            XCTAssertEqual(render.stdout, "picture: \(path("\(name)-redrawn.svg"))\n", name)
            // The same picture as the command drew (same figure from the same numbers).
            XCTAssertEqual(try String(contentsOfFile: path("\(name)-redrawn.svg"), encoding: .utf8),
                           try String(contentsOfFile: path("\(name)-original.svg"), encoding: .utf8), name)
        }
    }

    func testRenderSaysWhichResultsItReads() throws {
        for arguments in [["predict", "--model", odd, "--ids", "5,8"], ["tokenize", "--model", tiny, "--ids", "1,2"],
                          ["info", "--model", odd]] {
            let output = try runGlassbox(arguments + ["--json"])
            XCTAssertEqual(output.status, 0, output.stderr)
            try Data(output.stdout.utf8).write(to: folder.appendingPathComponent("r.json"))
            try assertFails(["render", path("r.json")], status: 1,
                            mentions: "\(arguments[0] == "info" ? "an" : "a") \(arguments[0]) result has no picture", "explain, attention, lens, project, neurons, patch, trace, path and evaluate")
        }
        try write(#"{"hello": 1}"#, "bogus.json")
        try assertFails(["render", path("bogus.json")], status: 1, mentions: path("bogus.json"), "explain, attention, lens, project, neurons, patch, trace, path and evaluate")
        try write(#"{"command": "explain", "tokens": 3}"#, "broken.json")
        try assertFails(["render", path("broken.json")], status: 1, mentions: path("broken.json"), "explain")
        try write("not json at all", "text.json")
        try assertFails(["render", path("text.json")], status: 1, mentions: path("text.json"), "not JSON")
    }

    func testRenderOptionsApplyToExplanationsOnly() throws {
        let output = try runGlassbox(["lens", "--model", odd, "--ids", "5,8", "--json", "--out", path("l.png")])
        XCTAssertEqual(output.status, 0, output.stderr)
        try Data(output.stdout.utf8).write(to: folder.appendingPathComponent("lens.json"))
        try assertFails(["render", path("lens.json"), "--color-limit", "2", "--out", path("r.png")], status: 2, mentions: "--color-limit")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("r.png")))
    }
}
