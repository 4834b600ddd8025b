import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox generate` end to end, through the built executable: the `--json` ids are the
/// reference's greedy ids (Tests/Fixtures/generation/, from transformers' `generate`), seeded
/// sampling repeats, the stream equals the JSON text, and bad values and encoders are one-line errors.
final class GenerateCommandTests: XCTestCase {
    let tiny = "Tests/Fixtures/models/gpt2-tiny"

    func testGreedyJSONEqualsTheReference() throws {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/generation/gpt2-tiny.json")
        let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let prompt = try XCTUnwrap(reference["prompt_ids"] as? [Int])
        let expected = try XCTUnwrap(reference["output_ids"] as? [Int])
        let object = try jsonObject(try runGlassbox(["generate", "--model", tiny, "--ids", prompt.map(String.init).joined(separator: ","),
                                               "--max-tokens", "\(expected.count)", "--json"]))
        XCTAssertEqual(object["command"] as? String, "generate")
        let tokens = try XCTUnwrap(object["tokens"] as? [[String: Any]])
        XCTAssertEqual(tokens.compactMap { $0["id"] as? Int }, expected)
        for token in tokens {
            let logprob = try XCTUnwrap(token["logprob"] as? Double), entropy = try XCTUnwrap(token["entropy"] as? Double)
            XCTAssertLessThanOrEqual(logprob, 0)
            XCTAssertGreaterThanOrEqual(entropy, 0)
            XCTAssertNotNil(token["text"] as? String)
        }
        XCTAssertEqual(object["stop"] as? String, "max_tokens")
        XCTAssertNotNil(object["text"] as? String)
    }

    /// generation_config.json with `"eos_token_id": 5, "eos_token_id": 94`: Python's json (and so
    /// transformers' generate) reads 94, the reference's third greedy token (38, 38, 94, …), so
    /// generation stops there with `eos`; the first value, 5, would never stop it.
    func testGenerationConfigKeepsTheLastEndOfSequenceID() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-genconfig-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.root.appendingPathComponent(tiny), to: folder)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"eos_token_id": 5, "eos_token_id": 94}"#.utf8).write(to: folder.appendingPathComponent("generation_config.json"))
        let object = try jsonObject(try runGlassbox(["generate", "--model", folder.path, "--ids", "30,85,11,27,40,39",
                                                      "--max-tokens", "10", "--json"]))
        XCTAssertEqual(object["stop"] as? String, "eos")
        let ids = try XCTUnwrap(object["tokens"] as? [[String: Any]]).compactMap { $0["id"] as? Int }
        XCTAssertEqual(ids.prefix(2), [38, 38])
        XCTAssertLessThanOrEqual(ids.count, 3, "\(ids)")
    }

    /// A generation_config.json that transformers cannot read (a byte-order mark, a syntax error,
    /// an array) stops `generate` with one line naming the file (exit 1), instead of being skipped
    /// for config.json's end-of-sequence ids.
    func testUnreadableGenerationConfigIsAnError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-genconfig-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.root.appendingPathComponent(tiny), to: folder)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("generation_config.json")
        for (bytes, expected) in [
            (Data([0xEF, 0xBB, 0xBF]) + Data(#"{"eos_token_id": 94}"#.utf8), "byte-order mark"),
            (Data(#"{"eos_token_id": }"#.utf8), "is not valid JSON at line 1, column"),
            (Data("[94]".utf8), "is not a JSON object"),
        ] {
            try bytes.write(to: file)
            let run = try runGlassbox(["generate", "--model", folder.path, "--ids", "30,85", "--max-tokens", "3"])
            XCTAssertEqual(run.status, 1, run.stderr)
            XCTAssertTrue(run.stderr.contains("generation_config.json") && run.stderr.contains(expected), run.stderr)
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        }
    }

    func testSamplingIsReproducibleAndTheStreamIsTheText() throws {
        let args = ["generate", "--model", tiny, "--ids", "5,6,7", "--max-tokens", "12", "--temperature", "0.9",
                    "--top-k", "20", "--top-p", "0.95", "--seed", "11"]
        let a = try runGlassbox(args), b = try runGlassbox(args)
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(a.stdout, b.stdout)
        let object = try jsonObject(try runGlassbox(args + ["--json"]))
        XCTAssertEqual(a.stdout, (object["text"] as? String ?? "") + "\n")
    }

    /// `--stop`: the stream ends just before the first occurrence of the stop text, whichever
    /// tokens it spans, and equals the JSON text; generation ends with `stop`.
    func testStopTextCutsTheStream() throws {
        let base = ["generate", "--model", tiny, "--ids", "5,6,7", "--max-tokens", "24"]
        let object = try jsonObject(try runGlassbox(base + ["--json"]))
        let whole = try XCTUnwrap(object["text"] as? String)
        let pieces = try XCTUnwrap(object["tokens"] as? [[String: Any]]).compactMap { $0["text"] as? String }.filter { !$0.isEmpty }
        XCTAssertGreaterThan(pieces.count, 6, whole)
        // Stop texts across the boundaries of tokens 1|2, 3|4 and 5|6 (the last character of one,
        // the first of the next), and one inside a token.
        var stops = [1, 3, 5].map { String(pieces[$0].last!) + String(pieces[$0 + 1].first!) }
        stops.append(String(pieces[2].prefix(1)))
        for stop in stops {
            let expected = String(whole[..<whole.range(of: stop)!.lowerBound])
            let streamed = try runGlassbox(base + ["--stop", stop])
            XCTAssertEqual(streamed.status, 0, streamed.stderr)
            XCTAssertEqual(streamed.stdout, expected + "\n", "stop \(stop.debugDescription)")
            let object = try jsonObject(try runGlassbox(base + ["--stop", stop, "--json"]))
            XCTAssertEqual(object["text"] as? String, expected)
            XCTAssertEqual(object["stop"] as? String, "stop")
        }
    }

    /// Stopping because the context is full is said on stderr (gpt2-tiny: 32 positions, so a
    /// 30-token prompt leaves room for 3 tokens of the 5 asked).
    func testAFullContextIsSaid() throws {
        let ids = (0..<30).map { "\(($0 * 7) % 100)" }.joined(separator: ",")
        let run = try runGlassbox(["generate", "--model", tiny, "--ids", ids, "--max-tokens", "5", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["stop"] as? String, "context")
        XCTAssertEqual((object["tokens"] as? [Any])?.count, 3)
        XCTAssertEqual(run.stderr, "generate: stopped after 3 of 5 tokens: the prompt (30 tokens) and the generated tokens "
                       + "fill the model's context of 32 positions\n")
        let room = try runGlassbox(["generate", "--model", tiny, "--ids", "5,6,7", "--max-tokens", "2"])
        XCTAssertEqual(room.stderr, "")
    }

    func testBadValuesAndEncodersAreOneLineErrors() throws {
        for bad in [["--max-tokens", "0"], ["--temperature", "0"], ["--top-k", "0"], ["--top-p", "1.5"], ["--temperature", "-1"]] {
            let out = try runGlassbox(["generate", "--model", tiny, "--ids", "1,2"] + bad)
            XCTAssertEqual(out.status, 2, "\(bad): \(out.stderr)")
            XCTAssertEqual(out.stderrLines.count, 1, out.stderr)
        }
        for encoder in ["bert-tiny-mlm", "roberta-mlm"] {
            let out = try runGlassbox(["generate", "--model", "Tests/Fixtures/models/\(encoder)", "--ids", "1,2"])
            XCTAssertEqual(out.status, 1, out.stderr)
            XCTAssertEqual(out.stderrLines.count, 1, out.stderr)
            XCTAssertTrue(out.stderr.contains("not a causal language model"), out.stderr)
        }
    }

    func testTinyTemperaturesAreGreedy() throws {
        // logits ÷ 1e-38 overflow Float; 1e-300 is below Float's smallest positive value. Both are
        // positive temperatures at which sampling is greedy (once drew id 0 every step; 1e-300
        // was refused as "got 0.0").
        let base = ["generate", "--model", tiny, "--ids", "5,6,7", "--max-tokens", "6", "--json"]
        let greedy = try XCTUnwrap(try jsonObject(try runGlassbox(base))["tokens"] as? [[String: Any]]).map { $0["id"] as? Int }
        XCTAssertFalse(greedy.allSatisfy { $0 == 0 }, "the greedy ids should not be all 0: \(greedy)")
        for t in ["1e-38", "1e-300", "1e-45"] {
            let out = try runGlassbox(base + ["--temperature", t, "--seed", "7"])
            XCTAssertEqual(out.status, 0, "\(t): \(out.stderr)")
            let ids = try XCTUnwrap(try jsonObject(out)["tokens"] as? [[String: Any]]).map { $0["id"] as? Int }
            XCTAssertEqual(ids, greedy, "--temperature \(t)")
        }
        let refused = try runGlassbox(base + ["--temperature", "1e300"])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("the temperature must be a number at most Float's largest, 3.4e38, got 1e300 (see"), refused.stderr)
    }
}
