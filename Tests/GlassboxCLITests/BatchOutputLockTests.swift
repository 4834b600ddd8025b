import Foundation
import GlassboxTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Two `glassbox batch` runs on one `--out` (red-team finding): the second is refused in one line
/// before it changes any file, because the first holds an exclusive `flock` on the file it writes
/// (`OUT.partial` with `--overwrite`, `OUT` itself otherwise). Here the test process plays the
/// first run by holding that lock.
final class BatchOutputLockTests: XCTestCase {
    let tiny = "Tests/Fixtures/models/gpt2-tiny"
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("lock") }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Opens `file` (creating it) and takes an exclusive lock on it, as a running batch does; the
    /// caller closes the descriptor to release it.
    private func holdLock(_ file: String) throws -> Int32 {
        let fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0, "the test takes the lock")
        return fd
    }

    /// Runs a batch on `out` while `locked` is held: exit 1, the one-line refusal, and `out` and
    /// `locked` unchanged byte for byte.
    private func assertRefused(_ extra: [String], out: String, locked: String) throws {
        try Data("{\"id\":\"a\",\"ids\":[1,2,3]}\n{\"id\":\"b\",\"ids\":[4,5]}\n".utf8).write(to: URL(fileURLWithPath: path("in.jsonl")))
        let before = try Data(contentsOf: URL(fileURLWithPath: out)), lockedBefore = try Data(contentsOf: URL(fileURLWithPath: locked))
        let fd = try holdLock(locked)
        defer { close(fd) }
        let run = try runGlassbox(["batch", "--model", tiny, "--threads", "1", "--workers", "1", "--in", path("in.jsonl"),
                                   "--out", out] + extra)
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertEqual(run.stderr.trimmingCharacters(in: .whitespacesAndNewlines),
                       "glassbox: error: another glassbox batch is writing \(out); wait for it or choose another --out")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), before, "--out is untouched")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: locked)), lockedBefore, "the locked file is not truncated")
    }

    func testOverwriteIsRefusedWhileThePartialFileIsLocked() throws {
        let out = path("out.jsonl")
        try Data("old records\n".utf8).write(to: URL(fileURLWithPath: out))
        try Data("{\"id\":0,\"index\":0}\n".utf8).write(to: URL(fileURLWithPath: out + ".partial"))
        try assertRefused(["--overwrite"], out: out, locked: out + ".partial")
    }

    func testResumeIsRefusedWhileTheOutputIsLocked() throws {
        let out = path("out.jsonl")
        try Data().write(to: URL(fileURLWithPath: out))
        try assertRefused(["--resume"], out: out, locked: out)
    }

    func testOverwriteIsRefusedWhileAResumeRunWritesTheOutput() throws {
        let out = path("out.jsonl")
        try Data("old records\n".utf8).write(to: URL(fileURLWithPath: out))
        try assertRefused(["--overwrite"], out: out, locked: out)
        let partial = (try? Data(contentsOf: URL(fileURLWithPath: out + ".partial"))) ?? Data()
        XCTAssertEqual(partial.count, 0, "no records were written")
    }

    func testOverwriteWithoutARivalStillReplaces() throws {
        let out = path("out.jsonl")
        try Data("old records\n".utf8).write(to: URL(fileURLWithPath: out))
        try Data("{\"id\":\"a\",\"ids\":[1,2,3]}\n".utf8).write(to: URL(fileURLWithPath: path("in.jsonl")))
        let run = try runGlassbox(["batch", "--model", tiny, "--threads", "1", "--in", path("in.jsonl"), "--out", out, "--overwrite"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("{\"id\":\"a\",\"index\":0,"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".partial"))
    }
}
