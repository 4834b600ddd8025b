import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox batch` and `glassbox merge` end to end, through the built executable: records equal
/// the single command's `--json`, four shards run as parallel processes merge into exactly the
/// unsharded file, a killed run resumes into it too, bad lines become error records.
final class BatchCommandTests: XCTestCase {
    let tiny = "Tests/Fixtures/models/gpt2-tiny"
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("batch") }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// `count` id inputs of different lengths (deterministic), with ids `"q0"`, `"q1"`, ….
    private func writeInputs(_ name: String, count: Int) throws -> String {
        var lines: [String] = []
        for i in 0..<count {
            let ids = (0..<(3 + i % 7)).map { String((i * 31 + $0 * 17) % 90 + 1) }
            lines.append("{\"id\": \"q\(i)\", \"ids\": [\(ids.joined(separator: ", "))]}")
            if i % 5 == 2 { lines.append("") }                                    // blank lines are not inputs
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    private func lines(_ file: String) throws -> [String] {
        try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    private func object(_ line: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
    }

    func testRecordIsTheCommandsOwnJSONWithIdAndIndexFirst() throws {
        let inputs = try writeInputs("in.jsonl", count: 3)
        let out = path("out.jsonl")
        let run = try runGlassbox(["batch", "--model", tiny, "--threads", "1", "--in", inputs, "--out", out,
                                   "--method", "grad-input"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let records = try lines(out)
        XCTAssertEqual(records.count, 3)
        XCTAssertTrue(records[1].hasPrefix("{\"id\":\"q1\",\"index\":1,\"command\":\"explain\""), records[1])
        // The same input through `glassbox explain --json` (one thread both ways): the record is
        // that JSON, compacted, after "id" and "index" — byte for byte.
        let ids = try XCTUnwrap(try object(records[1])["tokens"] as? [[String: Any]]).compactMap { $0["id"] as? Int }
        let single = try runGlassbox(["explain", "--model", tiny, "--threads", "1", "--ids",
                                      ids.map(String.init).joined(separator: ","), "--method", "grad-input", "--json",
                                      "--out", path("single.png")])
        XCTAssertEqual(single.status, 0, single.stderr)
        let compact = try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as? [String: Any]
        var record = try object(records[1])
        XCTAssertEqual(record.removeValue(forKey: "id") as? String, "q1")
        XCTAssertEqual(record.removeValue(forKey: "index") as? Int, 1)
        XCTAssertEqual(NSDictionary(dictionary: record), NSDictionary(dictionary: try XCTUnwrap(compact)))
        let singleLine = single.stdout.filter { !$0.isNewline && $0 != " " }
        XCTAssertEqual(String(records[1].dropFirst("{\"id\":\"q1\",\"index\":1,".count)).filter { $0 != " " },
                       String(singleLine.dropFirst()), "not the same JSON text")
    }

    func testPicturesAreWhatRenderDrawsFromTheRecord() throws {
        let inputs = try writeInputs("in.jsonl", count: 2)
        let run = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", path("out.jsonl"), "--pictures", path("pics")])
        XCTAssertEqual(run.status, 0, run.stderr)
        var record = try object(try lines(path("out.jsonl"))[1])
        let picture = try XCTUnwrap(record.removeValue(forKey: "picture") as? String)
        XCTAssertEqual(picture, path("pics") + "/1-q1.png")
        record["id"] = nil
        record["index"] = nil
        try JSONSerialization.data(withJSONObject: record).write(to: URL(fileURLWithPath: path("record.json")))
        let render = try runGlassbox(["render", path("record.json"), "--out", path("rendered.png")])
        XCTAssertEqual(render.status, 0, render.stderr)
        let drawn = try Data(contentsOf: URL(fileURLWithPath: picture))
        XCTAssertGreaterThan(drawn.count, 1000)
        XCTAssertEqual(drawn, try Data(contentsOf: URL(fileURLWithPath: path("rendered.png"))))
    }

    func testFourParallelShardsMergeIntoTheUnshardedRunByteForByte() throws {
        let inputs = try writeInputs("in.jsonl", count: 30)
        let full = try runGlassbox(["batch", "--model", tiny, "--threads", "2", "--in", inputs, "--out", path("full.jsonl")])
        XCTAssertEqual(full.status, 0, full.stderr)
        let shards = try runGlassboxShell("""
            for i in 0 1 2 3; do "$GLASSBOX" batch --model \(tiny) --threads 2 --in \(inputs) --out \(path("part"))-$i.jsonl --shard $i/4 2>/dev/null & done
            status=0; for job in $(jobs -p); do wait $job || status=1; done; exit $status
            """, timeout: 300)
        XCTAssertEqual(shards.status, 0, shards.stderr)
        // k mod 4: shard 1 holds indexes 1, 5, 9, …
        XCTAssertEqual(try lines(path("part-1.jsonl")).map { try object($0)["index"] as? Int },
                       Array(stride(from: 1, to: 30, by: 4)))
        let merge = try runGlassbox(["merge"] + (0..<4).map { path("part-\($0).jsonl") } + ["--out", path("merged.jsonl"), "--in", inputs])
        XCTAssertEqual(merge.status, 0, merge.stderr)
        XCTAssertTrue(merge.stderr.contains("30 record(s) from 4 file(s)"), merge.stderr)
        XCTAssertTrue(merge.stderr.contains("every input present once"), merge.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("merged.jsonl"))),
                       try Data(contentsOf: URL(fileURLWithPath: path("full.jsonl"))))
        XCTAssertEqual(try lines(path("full.jsonl")).map { try object($0)["id"] as? String }, (0..<30).map { "q\($0)" })

        // A shard left out: its inputs are reported by id, exit status 1.
        let partial = try runGlassbox(["merge", path("part-0.jsonl"), path("part-2.jsonl"), path("part-3.jsonl"),
                                       "--out", path("partial.jsonl"), "--in", inputs])
        XCTAssertEqual(partial.status, 1)
        XCTAssertTrue(partial.stderr.contains("8 input(s) missing: \"q1\", \"q5\", \"q9\""), partial.stderr)
        // A shard given twice: duplicates reported, each kept once.
        let twice = try runGlassbox(["merge", path("part-0.jsonl"), path("part-1.jsonl"), path("part-1.jsonl"),
                                     path("part-2.jsonl"), path("part-3.jsonl"), "--out", path("twice.jsonl")])
        XCTAssertEqual(twice.status, 1)
        XCTAssertTrue(twice.stderr.contains("8 duplicate(s), kept the first: \"q1\" (index 1"), twice.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("twice.jsonl"))),
                       try Data(contentsOf: URL(fileURLWithPath: path("full.jsonl"))))
    }

    func testAKilledRunResumesIntoTheUninterruptedFile() throws {
        let inputs = try writeInputs("in.jsonl", count: 40)
        let full = try runGlassbox(["batch", "--model", tiny, "--threads", "2", "--in", inputs, "--out", path("full.jsonl"),
                                    "--method", "atman"])
        XCTAssertEqual(full.status, 0, full.stderr)
        let expected = try Data(contentsOf: URL(fileURLWithPath: path("full.jsonl")))

        // Killed for real (SIGKILL) once some records are written, then resumed.
        let killed = try runGlassboxShell("""
            "$GLASSBOX" batch --model \(tiny) --threads 2 --in \(inputs) --out \(path("killed.jsonl")) --method atman 2>/dev/null &
            pid=$!
            while [ "$(cat \(path("killed.jsonl")) 2>/dev/null | wc -l)" -lt 9 ]; do kill -0 $pid 2>/dev/null || break; sleep 0.01; done
            kill -9 $pid; wait $pid; true
            """, timeout: 300)
        XCTAssertEqual(killed.status, 0, killed.stderr)
        let resumed = try runGlassbox(["batch", "--model", tiny, "--threads", "2", "--in", inputs, "--out", path("killed.jsonl"),
                                       "--method", "atman", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("killed.jsonl"))), expected)

        // Killed in the middle of a line: the cut line is removed and computed again.
        let cut = expected.prefix(expected.split(separator: 0x0A).prefix(11).reduce(0) { $0 + $1.count + 1 } - 57)
        try cut.write(to: URL(fileURLWithPath: path("cut.jsonl")))
        let repaired = try runGlassbox(["batch", "--model", tiny, "--threads", "2", "--in", inputs, "--out", path("cut.jsonl"),
                                        "--method", "atman", "--resume"])
        XCTAssertEqual(repaired.status, 0, repaired.stderr)
        XCTAssertTrue(repaired.stderr.contains("removed a last line cut short"), repaired.stderr)
        XCTAssertTrue(repaired.stderr.contains("30 to compute, 10 already in"), repaired.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("cut.jsonl"))), expected)
    }

    func testBadLinesBecomeErrorRecordsAndTheBatchGoesOn() throws {
        let inputs = path("in.jsonl")
        try """
            {"id": 1, "ids": [5, 6, 7]}
            not json
            {"id": 3, "ids": [5, 6], "bogus": 2}
            {"ids": [5]}
            {"id": 5, "ids": [5, 999999]}
            {"id": 6, "image": "missing.png"}
            {"id": 7, "text": "a", "ids": [1]}
            {"id": 8, "ids": [5, 6, 7], "model": "other"}
            {"id": 9, "ids": [5, 6, 7], "method": "atman", "target": 12}

            """.write(toFile: inputs, atomically: true, encoding: .utf8)
        let out = path("out.jsonl")
        let run = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", out])
        XCTAssertEqual(run.status, 1, "any failed input makes the exit status 1")
        XCTAssertTrue(run.stderr.contains("7 of 9 input(s) failed; their records in \(out) say why"), run.stderr)
        let records = try lines(out).map(object)
        XCTAssertEqual(records.map { $0["index"] as? Int }, Array(0..<9))
        let errors = records.map { $0["error"] as? String }
        XCTAssertNil(errors[0])
        XCTAssertEqual(errors[1], "line 2: not JSON")
        XCTAssertEqual(errors[2], "line 3: Unknown option '--bogus'")
        XCTAssertEqual(errors[3], "line 4: no \"id\"")
        XCTAssertTrue(records[3]["id"] is NSNull)
        XCTAssertEqual(errors[4], "line 5: token id 999999 at position 1 is outside the vocabulary (0..<\(try vocabularySize()))")
        XCTAssertEqual(errors[5], "line 6: this gpt2 model reads text, not images; give a prompt or --ids")
        XCTAssertEqual(errors[6], "line 7: give one of \"text\", \"ids\" and \"image\", not text and ids")
        XCTAssertEqual(errors[7], "line 8: \"model\" cannot change per line: the batch sets it for every input (pass it to `glassbox batch`)")
        XCTAssertNil(errors[8])
        XCTAssertEqual(records[8]["method"] as? String, "atman")
        XCTAssertEqual((records[8]["target"] as? [String: Any])?["id"] as? Int, 12)
    }

    /// A line Foundation cannot read says why when the reason is a number JSON cannot hold
    /// (Python reads `1e400` as inf and accepts `NaN`; neither can be written back as JSON).
    func testNonFiniteNumbersAreNamedNotJustNotJSON() throws {
        let inputs = path("in.jsonl")
        try """
            {"id": 1e400, "ids": [5, 6]}
            {"id": 2, "ids": [5, 6], "factor": NaN}
            {"id": 3, "ids": [5, -Infinity]}
            {"id": 4 "ids": [5]}

            """.write(toFile: inputs, atomically: true, encoding: .utf8)
        let out = path("out.jsonl")
        let run = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", out])
        XCTAssertEqual(run.status, 1, run.stderr)
        let errors = try lines(out).map(object).map { $0["error"] as? String }
        XCTAssertEqual(errors, ["line 1, column 8: the number 1e400 is beyond float64's range (Python reads it as inf)",
                                "line 2, column 36: NaN is not a JSON value (numbers must be finite)",
                                "line 3, column 22: -Infinity is not a JSON value (numbers must be finite)",
                                "line 4: not JSON"])
    }

    func testPrecisionReachesEveryLine() throws {
        let inputs = try writeInputs("in.jsonl", count: 2)
        let exact = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", path("exact.jsonl"), "--command", "predict", "--logits"])
        let bf16 = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", path("bf16.jsonl"), "--command", "predict", "--logits",
                                    "--precision", "bf16"])
        XCTAssertEqual(exact.status, 0, exact.stderr)
        XCTAssertEqual(bf16.status, 0, bf16.stderr)
        for (a, b) in zip(try lines(path("exact.jsonl")), try lines(path("bf16.jsonl"))) {
            let x = try XCTUnwrap(try object(a)["logits"] as? [Double]), y = try XCTUnwrap(try object(b)["logits"] as? [Double])
            let scale = x.map(abs).max()!
            let difference = zip(x, y).map { abs($0 - $1) }.max()!
            XCTAssertGreaterThan(difference, 1e-5 * scale, "--precision bf16 did not reach the line")
            XCTAssertLessThan(difference, 2e-2 * scale)
        }
    }

    func testEveryCommandRunsPerLine() throws {
        let inputs = try writeInputs("in.jsonl", count: 2)
        for command in ["predict", "lens", "evaluate"] {
            let out = path("\(command).jsonl")
            let run = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", out, "--command", command])
            XCTAssertEqual(run.status, 0, run.stderr)
            let records = try lines(out).map(object)
            XCTAssertEqual(records.count, 2)
            XCTAssertEqual(records.map { $0["command"] as? String }, [command, command], command)
        }
        let patchInputs = path("patch.jsonl")
        try """
            {"id": "p", "clean_ids": [5, 6, 7], "corrupted_ids": [5, 8, 7], "target": 9, "sites": "resid"}
            """.write(toFile: patchInputs, atomically: true, encoding: .utf8)
        let run = try runGlassbox(["batch", "--model", tiny, "--in", patchInputs, "--out", path("patch-out.jsonl"),
                                   "--command", "patch", "--metric", "logprob"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let record = try object(try lines(path("patch-out.jsonl"))[0])
        XCTAssertEqual(record["command"] as? String, "patch")
        XCTAssertEqual(record["id"] as? String, "p")
    }

    /// `batch --words` (docs/batch.md): the "needs a text prompt" rule applies per line, so a text
    /// line gets word entries and an ids line an error record; the batch's command line is fine.
    func testWordsOnTheBatchCommandLineApplyPerLine() throws {
        let inputs = path("in.jsonl")
        try """
            {"id": "a", "text": "the cat sat"}
            {"id": "b", "ids": [2, 10, 3]}

            """.write(toFile: inputs, atomically: true, encoding: .utf8)
        let out = path("out.jsonl")
        let run = try runGlassbox(["batch", "--model", "Tests/Fixtures/models/bert-cls", "--in", inputs, "--out", out, "--words"])
        XCTAssertEqual(run.status, 1, run.stderr)
        let records = try lines(out).map(object)
        XCTAssertEqual(try XCTUnwrap(records.first?["tokens"] as? [[String: Any]]).map { $0["text"] as? String },
                       ["[CLS]", "the", "cat", "sat", "[SEP]"])
        XCTAssertEqual(records.map { $0["error"] as? String },
                       [nil, "line 2: --words needs a text prompt (word boundaries come from the tokenizer's offsets), not --ids or --image"])
    }

    func testUsageMistakesStopBeforeAnyLineRuns() throws {
        let inputs = try writeInputs("in.jsonl", count: 2)
        let bad = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", path("o.jsonl"), "--method", "bogus"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.hasPrefix("glassbox: error: explain: The value 'bogus' is invalid for '--method"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("o.jsonl")))
        let shard = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", path("o.jsonl"), "--shard", "4/4"])
        XCTAssertEqual(shard.status, 2)
        try "keep me\n".write(toFile: path("exists.jsonl"), atomically: true, encoding: .utf8)
        let exists = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", path("exists.jsonl")])
        XCTAssertEqual(exists.status, 2)
        XCTAssertTrue(exists.stderr.contains("already exists: --resume continues it, --overwrite replaces it"), exists.stderr)
        XCTAssertEqual(try String(contentsOfFile: path("exists.jsonl"), encoding: .utf8), "keep me\n")
        let foreign = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", path("exists.jsonl"), "--resume"])
        XCTAssertEqual(foreign.status, 1)
        XCTAssertTrue(foreign.stderr.contains("line 1 is not a record of `glassbox batch`"), foreign.stderr)
        XCTAssertEqual(try String(contentsOfFile: path("exists.jsonl"), encoding: .utf8), "keep me\n")
    }

    func testOverwriteReplacesTheFileOnlyWhenTheRunEnds() throws {
        let inputs = try writeInputs("in.jsonl", count: 6)
        let old = Data("{\"id\":\"old\",\"index\":0}\n".utf8)
        let out = URL(fileURLWithPath: path("res.jsonl"))
        try old.write(to: out)
        // Fails after the results file is opened (--pictures names a file, not a folder): the old
        // records stay byte for byte; what the run had begun is in res.jsonl.partial.
        try "not a folder".write(toFile: path("pics"), atomically: true, encoding: .utf8)
        let failed = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", out.path, "--overwrite", "--pictures", path("pics")])
        XCTAssertEqual(failed.status, 1, failed.stderr)
        XCTAssertEqual(try Data(contentsOf: out), old)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("res.jsonl.partial")))

        let fresh = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", path("fresh.jsonl")])
        XCTAssertEqual(fresh.status, 0, fresh.stderr)
        let expected = try Data(contentsOf: URL(fileURLWithPath: path("fresh.jsonl")))
        // An interrupted --overwrite run's partial records, continued with --overwrite --resume.
        let firstTwo = expected.prefix(expected.split(separator: 0x0A).prefix(2).reduce(0) { $0 + $1.count + 1 })
        try firstTwo.write(to: URL(fileURLWithPath: path("res.jsonl.partial")))
        let resumed = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", out.path, "--overwrite", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("4 to compute, 2 already in \(path("res.jsonl.partial"))"), resumed.stderr)
        XCTAssertEqual(try Data(contentsOf: out), expected)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("res.jsonl.partial")))

        // A run that completes replaces the file.
        try old.write(to: out)
        let replaced = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", out.path, "--overwrite"])
        XCTAssertEqual(replaced.status, 0, replaced.stderr)
        XCTAssertEqual(try Data(contentsOf: out), expected)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("res.jsonl.partial")))
    }

    func testSlurmArrayScriptAndKubernetesIndexedJobCoverEveryInputOnce() throws {
        let inputs = try writeInputs("in.jsonl", count: 13)
        let full = try runGlassbox(["batch", "--model", tiny, "--threads", "2", "--in", inputs, "--out", path("full.jsonl")])
        XCTAssertEqual(full.status, 0, full.stderr)
        let expected = try Data(contentsOf: URL(fileURLWithPath: path("full.jsonl")))

        // The Slurm script as four array tasks (the variables sbatch --array=0-3 sets), in parallel.
        let slurm = try runGlassboxShell("""
            for i in 0 1 2 3; do
              SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=4 SLURM_CPUS_PER_TASK=2 MODEL=\(tiny) INPUTS=\(inputs) \\
                RESULTS=\(path("slurm")) scripts/batch/slurm-array.sh 2>/dev/null &
            done
            status=0; for job in $(jobs -p); do wait $job || status=1; done; exit $status
            """, timeout: 300)
        XCTAssertEqual(slurm.status, 0, slurm.stderr)
        let merged = try runGlassbox(["merge"] + (0..<4).map { path("slurm/part-\($0).jsonl") } + ["--out", path("slurm.jsonl"), "--in", inputs])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("slurm.jsonl"))), expected)

        // The Kubernetes manifest's command, once per completion index, with /data here.
        let manifest = try String(contentsOf: Fixtures.root.appendingPathComponent("scripts/batch/kubernetes-indexed-job.yaml"), encoding: .utf8)
        let manifestLines = manifest.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let completions = try XCTUnwrap(manifestLines.first { $0.hasPrefix("completions:") }.flatMap { Int($0.dropFirst("completions:".count).trimmingCharacters(in: .whitespaces)) })
        let command = try XCTUnwrap(manifestLines.first { $0.hasPrefix("- ") && $0.contains("glassbox batch") }).dropFirst(2)
        XCTAssertTrue(command.contains("--shard $JOB_COMPLETION_INDEX/\(completions) "), String(command))
        let data = path("k8s")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: inputs, toPath: data + "/inputs.jsonl")
        let local = command.replacingOccurrences(of: "/data/model", with: tiny)
            .replacingOccurrences(of: "/data", with: data).replacingOccurrences(of: "glassbox batch", with: "\"$GLASSBOX\" batch")
            .replacingOccurrences(of: "--threads 4", with: "--threads 2")
        let k8s = try runGlassboxShell("""
            for i in $(seq 0 \(completions - 1)); do JOB_COMPLETION_INDEX=$i sh -c '\(local)' 2>/dev/null & done
            status=0; for job in $(jobs -p); do wait $job || status=1; done; exit $status
            """, timeout: 300)
        XCTAssertEqual(k8s.status, 0, k8s.stderr)
        let joined = try runGlassbox(["merge"] + (0..<completions).map { data + "/results/part-\($0).jsonl" }
                                     + ["--out", path("k8s.jsonl"), "--in", inputs])
        XCTAssertEqual(joined.status, 0, joined.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("k8s.jsonl"))), expected)
    }

    private func vocabularySize() throws -> Int {
        let config = try Data(contentsOf: Fixtures.root.appendingPathComponent(tiny).appendingPathComponent("config.json"))
        return try XCTUnwrap((JSONSerialization.jsonObject(with: config) as? [String: Any])?["vocab_size"] as? Int)
    }
}
