import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Hostile inputs (issue 18, items 1, 3 and 4): each is one clear line on stderr, a non-zero exit
/// and no output file — never a hang, a crash, a huge allocation or silent garbage. Everything that
/// could hang runs under `timeout` (exit 124).
final class HostileFileInputTests: XCTestCase {
    let bundledGPT = Fixtures.root.appendingPathComponent("Sources/GlassboxDefaults/Models/shakespeare-gpt2")
    let bundledViT = Fixtures.root.appendingPathComponent("Sources/GlassboxDefaults/Models/digits-vit")
    let digit = "samples/digits/digit-3.png"

    private func folder() throws -> URL {
        let url = try makeTemporaryFolder("hostile")
        return url
    }

    /// A writable copy of a model folder.
    private func copy(_ model: URL) throws -> URL {
        let target = try folder().appendingPathComponent(model.lastPathComponent)
        try FileManager.default.copyItem(at: model, to: target)
        return target
    }

    private func fifo(_ url: URL) -> URL {
        XCTAssertEqual(mkfifo(url.path, 0o600), 0, "mkfifo \(url.path)")
        return url
    }

    /// Exit `status`, stdout empty, the first stderr line holding every fragment, `picture` absent.
    private func assertRefused(_ output: CommandOutput, status: Int32 = 1, firstLine fragments: [String],
                               noFile picture: URL? = nil, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(output.status, status, "exit status; stderr: \(output.stderr.prefix(500))", file: file, line: line)
        XCTAssertEqual(output.stdout, "", "stdout should be empty", file: file, line: line)
        let first = output.stderrLines.first ?? ""
        XCTAssertTrue(first.hasPrefix("glassbox: error: "), "first stderr line: \(first)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(first.contains(fragment), "'\(fragment)' not in: \(first)", file: file, line: line)
        }
        if let picture {
            XCTAssertFalse(FileManager.default.fileExists(atPath: picture.path), "\(picture.path) was written",
                           file: file, line: line)
        }
    }

    // MARK: 1. Regular files only

    func testFIFOAsImageIsRefused() throws {
        let dir = try folder()
        let pipe = fifo(dir.appendingPathComponent("digit.png")), out = dir.appendingPathComponent("x.png")
        let output = try runGlassboxShell("\"$GLASSBOX\" explain --image \(pipe.path) --out \(out.path)", timeout: 20)
        assertRefused(output, firstLine: ["digit.png", "FIFO (named pipe), not a regular file"], noFile: out)
    }

    func testFIFOAsWeightsIsRefused() throws {
        let model = try copy(bundledGPT)
        try FileManager.default.removeItem(at: model.appendingPathComponent("model.safetensors"))
        _ = fifo(model.appendingPathComponent("model.safetensors"))
        let out = model.appendingPathComponent("x.png")
        let output = try runGlassboxShell("\"$GLASSBOX\" explain --model \(model.path) --ids 1,2 --out \(out.path)", timeout: 20)
        assertRefused(output, firstLine: ["model.safetensors", "FIFO"], noFile: out)
    }

    func testFIFOAsConfigAndTokenizerIsRefused() throws {
        for name in ["config.json", "tokenizer.json"] {
            let model = try copy(bundledGPT)
            try FileManager.default.removeItem(at: model.appendingPathComponent(name))
            _ = fifo(model.appendingPathComponent(name))
            let output = try runGlassboxShell("\"$GLASSBOX\" predict --model \(model.path) \"I pray\"", timeout: 20)
            assertRefused(output, firstLine: [name, "FIFO"])
        }
    }

    func testFIFOAsCorpusIsRefused() throws {
        let dir = try folder()
        let pipe = fifo(dir.appendingPathComponent("corpus.txt")), out = dir.appendingPathComponent("x.png")
        let output = try runGlassboxShell(
            "\"$GLASSBOX\" neurons --layer 0 --neuron 1 --corpus \(pipe.path) --out \(out.path)", timeout: 20)
        assertRefused(output, firstLine: ["corpus.txt", "FIFO"], noFile: out)
    }

    func testFIFOAsResultAndAsTheImageItNamesIsRefused() throws {
        let dir = try folder()
        let pipe = fifo(dir.appendingPathComponent("result.json")), out = dir.appendingPathComponent("x.png")
        assertRefused(try runGlassboxShell("\"$GLASSBOX\" render \(pipe.path) --out \(out.path)", timeout: 20),
                      firstLine: ["result.json", "FIFO"], noFile: out)

        // A real image explanation whose record names a FIFO as its picture.
        let record = try runGlassbox(["explain", "--image", digit, "--method", "rollout", "--json",
                                      "--out", dir.appendingPathComponent("first.png").path])
        XCTAssertEqual(record.status, 0, record.stderr)
        let imagePipe = fifo(dir.appendingPathComponent("picture.png"))
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(record.stdout.utf8)) as? [String: Any])
        var extra = try XCTUnwrap(object["extra"] as? [String: Any])
        extra["image"] = imagePipe.path
        object["extra"] = extra
        let json = dir.appendingPathComponent("named.json")
        try JSONSerialization.data(withJSONObject: object).write(to: json)
        assertRefused(try runGlassboxShell("\"$GLASSBOX\" render \(json.path) --out \(out.path)", timeout: 20),
                      firstLine: ["picture.png", "FIFO"], noFile: out)
    }

    // MARK: 1. Stated limits

    func testHugeResizeTargetIsRefused() throws {
        let model = try copy(bundledViT)
        let config = model.appendingPathComponent("preprocessor_config.json")
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
        object["size"] = ["height": 200_000, "width": 200_000]
        try JSONSerialization.data(withJSONObject: object).write(to: config)
        let out = model.appendingPathComponent("x.png")
        let output = try runGlassboxShell("\"$GLASSBOX\" explain --model \(model.path) --image \(digit) --out \(out.path)")
        assertRefused(output, firstLine: ["preprocessor_config.json", "200000 × 200000", "limit of 4096 pixels per side"],
                      noFile: out)
    }

    func testHugeImageIsRefusedBeforeDecoding() throws {
        let dir = try folder()
        let png = dir.appendingPathComponent("wide.png"), out = dir.appendingPathComponent("x.png")
        try Self.pngHeaderOnly(width: 100_000, height: 100_000).write(to: png)
        let output = try runGlassboxShell("\"$GLASSBOX\" explain --image \(png.path) --out \(out.path)")
        assertRefused(output, firstLine: ["wide.png", "100000×100000", "limit of 16384 pixels a side"], noFile: out)
    }

    func testLongAddedTokenIsRefused() throws {
        let model = try copy(bundledGPT)
        let file = model.appendingPathComponent("tokenizer.json")
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        var added = try XCTUnwrap(object["added_tokens"] as? [[String: Any]])
        added.append(["id": 2048, "content": String(repeating: "ab", count: 1_000_000), "single_word": false,
                      "lstrip": false, "rstrip": false, "normalized": false, "special": true])
        object["added_tokens"] = added
        try JSONSerialization.data(withJSONObject: object).write(to: file)
        let output = try runGlassboxShell("\"$GLASSBOX\" tokenize --model \(model.path) \"I pray\"")
        assertRefused(output, firstLine: ["added token 1", "2000000 bytes", "limit of 1024 bytes"])
    }

    func testDeepJSONIsRefusedNamingTheLimit() throws {
        let model = try copy(bundledGPT)
        let config = model.appendingPathComponent("config.json")
        try Data((#"{"model_type": "gpt2", "x": "# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
                  + "}").utf8).write(to: config)
        assertRefused(try runGlassbox(["info", "--model", model.path]), firstLine: ["config.json", "limit of 512 levels"])
    }

    /// A paragraph longer than the context is scanned in windows, and stderr says so.
    func testLongCorpusParagraphIsWindowedWithANote() throws {
        let dir = try folder()
        let corpus = dir.appendingPathComponent("corpus.txt"), out = dir.appendingPathComponent("x.png")
        try Data(String(repeating: "To be, or not to be, that is the question. ", count: 40).utf8).write(to: corpus)
        let output = try runGlassbox(["neurons", "--model", "Tests/Fixtures/models/gpt2-tiny", "--layer", "0",
                                      "--neuron", "1", "--corpus", corpus.path, "--out", out.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stderr.contains("note: 1 paragraph(s) longer than the 32-token context were scanned in "
                                             + "consecutive 32-token windows"), output.stderr)
    }

    func testCorpusThatIsNotUTF8NamesTheByteOffset() throws {
        let dir = try folder()
        let corpus = dir.appendingPathComponent("corpus.txt"), out = dir.appendingPathComponent("x.png")
        try Data(Array("Good night.\n\nSweet ".utf8) + [0xC3, 0x28] + Array(" prince.".utf8)).write(to: corpus)
        let output = try runGlassbox(["neurons", "--layer", "0", "--neuron", "1", "--corpus", corpus.path, "--out", out.path])
        assertRefused(output, firstLine: ["corpus.txt", "not valid UTF-8", "byte 0xC3 at byte offset 19"], noFile: out)
    }

    // MARK: 3. Numbers

    /// The bundled GPT-2 with `edit` applied to one tensor, written as F32.
    private func editedGPT(_ tensorSuffix: String, _ edit: (inout [Float]) -> Void) throws -> (URL, String) {
        let model = try copy(bundledGPT)
        let url = model.appendingPathComponent("model.safetensors")
        let file = try SafetensorsFile(url: url)
        var tensors: [(String, Tensor)] = []
        var edited = ""
        for name in file.tensorNames {
            var tensor = try file.tensor(name)
            if name.hasSuffix(tensorSuffix) { edit(&tensor.storage); edited = name }
            tensors.append((name, tensor))
        }
        try SafetensorsFile.write(tensors, to: url)
        return (model, edited)
    }

    func testNaNWeightsAreRefusedAtLoadUnlessAllowed() throws {
        let (model, name) = try editedGPT("h.1.mlp.c_fc.weight") { values in
            values[3] = .nan; values[7] = .infinity; values[8] = -.infinity
        }
        let out = model.appendingPathComponent("x.png")
        assertRefused(try runGlassbox(["explain", "--model", model.path, "I pray", "--out", out.path]),
                      firstLine: ["'\(name)'", "3 of its 65536 values are NaN or ±Inf", "--allow-nonfinite"], noFile: out)

        // Allowed: a warning, and the NaN shows up in the run as an error only if activations are checked.
        let allowed = try runGlassbox(["predict", "--model", model.path, "I pray", "--allow-nonfinite", "--trace"])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertTrue(allowed.stderrLines.first?.hasPrefix("warning: 1 tensor(s) hold NaN or ±Inf values (first: '\(name)'")
                      ?? false, allowed.stderr)
        // --trace says nan, never a quiet 0.
        let mlpPre = allowed.stderrLines.first { $0.hasPrefix("blocks.1.mlp.hook_pre ") }
        XCTAssertEqual(mlpPre?.split(separator: " ").last, "nan", allowed.stderr)
    }

    func testOverflowingActivationNamesTheFirstHookPoint() throws {
        let (model, _) = try editedGPT("h.0.mlp.c_fc.weight") { values in
            for i in values.indices { values[i] = 3e38 }
        }
        let out = model.appendingPathComponent("x.png")
        for command in [["predict"], ["explain", "--out", out.path], ["lens", "--out", out.path]] {
            let output = try runGlassbox(command + ["--model", model.path, "I pray"])
            assertRefused(output, firstLine: ["produced NaN or ±Inf: first at blocks.0.mlp.hook_pre"], noFile: out)
        }
    }

    func testConfigValuesOutsideTheirDomainNameTheField() throws {
        let cases: [(model: String, key: String, value: Any, message: String)] = [
            ("llama-gqa", "rope_theta", 0, "'rope_theta' must be a positive number, got 0"),
            ("llama-gqa", "rope_theta", -5, "'rope_theta' must be a positive number, got -5"),
            ("llama-gqa", "rms_norm_eps", 0, "'rms_norm_eps' must be a positive number"),
            ("llama-gqa", "rope_scaling", ["rope_type": "linear", "factor": 0], "'rope_scaling.factor' must be a positive number, got 0"),
            ("llama-gqa", "rope_scaling", ["rope_type": "dynamic", "factor": -2], "'rope_scaling.factor' must be a positive number"),
            ("llama-gqa", "rope_scaling", ["rope_type": "llama3", "factor": 8, "low_freq_factor": 2.5464790894703255,
                                           "high_freq_factor": 2.5464790894703255, "original_max_position_embeddings": 16],
                                           "'rope_scaling.high_freq_factor'"),   // equal, the 2π wavelength on 16 / low: NaN in transformers
            ("llama-gqa", "rope_scaling", ["rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4,
                                           "original_max_position_embeddings": 1e30], "original_max_position_embeddings"),
            ("llama-gqa", "max_position_embeddings", 1 << 40, "over the limit of 2147483647"),
            ("bert-tiny-mlm", "layer_norm_eps", 0, "'layer_norm_eps' must be a positive number"),
            ("vit-tiny", "layer_norm_eps", -1e-6, "'layer_norm_eps' must be a positive number"),
            ("gpt2-tiny", "layer_norm_epsilon", 0, "'layer_norm_epsilon' must be a positive number"),
        ]
        for c in cases {
            let model = try copy(Fixtures.model(c.model))
            let config = model.appendingPathComponent("config.json")
            var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
            object[c.key] = c.value
            try JSONSerialization.data(withJSONObject: object).write(to: config)
            assertRefused(try runGlassbox(["info", "--model", model.path]), firstLine: ["config.json", c.message])
        }
    }

    // MARK: 4. Text and stdout

    func testPromptThatIsNotUTF8NamesTheByteOffset() throws {
        let output = try runGlassboxShell(#""$GLASSBOX" predict "$(printf 'I pray \377 you')""#)
        assertRefused(output, firstLine: ["not valid UTF-8", "byte 0xFF at byte offset 7", "--replace-invalid-utf8"])
        let replaced = try runGlassboxShell(#""$GLASSBOX" tokenize --replace-invalid-utf8 "$(printf 'I pray \377 you')""#)
        XCTAssertEqual(replaced.status, 0, replaced.stderr)
    }

    func testFailedWriteToStdoutIsOneLineAndExit1() throws {
        let picture = try folder().appendingPathComponent("x.png").path
        for command in ["predict \"I pray\" --json", "predict \"I pray\" --logits", "tokenize \"I pray\" --json",
                        "explain \"I pray\" --json --out \(picture)"] {
            let output = try runGlassboxShell("\"$GLASSBOX\" \(command) > /dev/full")
            XCTAssertEqual(output.status, 1, "\(command): \(output.stderr.prefix(300))")
            XCTAssertEqual(output.stderrLines.filter { !$0.hasPrefix("picture:") },
                           ["glassbox: error: cannot write the output to standard output: No space left on device"], command)
        }
    }

    func testClosedPipeEndsQuietly() throws {
        // Enough output (≈ 0.5 MB) that the writer meets the closed pipe.
        let ids = (0..<60).map { String($0 % 100) }.joined(separator: ",")
        let output = try runGlassboxShell(
            "\"$GLASSBOX\" attention --ids \(ids) --json --out /tmp/glassbox-pipe-\(UUID().uuidString).png | head -c 10 > /dev/null")
        XCTAssertEqual(output.status, 0)
        XCTAssertEqual(output.stderr.split(separator: "\n").filter { !$0.hasPrefix("picture:") }, [], output.stderr)
    }

    // MARK: Helpers

    /// A PNG with a (valid) header, a one-byte data chunk and an end chunk: enough for the size
    /// check, no pixels to decode.
    static func pngHeaderOnly(width: UInt32, height: UInt32) -> Data {
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            return bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
        }
        let header = bigEndian(width) + bigEndian(height) + [8, 0, 0, 0, 0]   // 8-bit gray
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", [0])
                    + chunk("IEND", []))
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8((v >> $0) & 0xFF) } }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
