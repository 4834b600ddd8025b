import Foundation
import XCTest
@testable import GlassboxModelIO

final class ModelDirectoryTests: TemporaryFolderTestCase {
    /// An environment whose home is the temporary folder, so the real cache is never consulted.
    var environment: [String: String] { ["HOME": folder.path] }

    /// Creates `<cache>/models--…/snapshots/<revision>/config.json`, optionally setting its date.
    @discardableResult
    func makeSnapshot(cache: URL, id: String, revision: String, modified: Date? = nil, config: Bool = true) throws -> URL {
        let snapshot = cache.appendingPathComponent(ModelDirectory.cacheFolderName(forID: id))
            .appendingPathComponent("snapshots").appendingPathComponent(revision, isDirectory: true)
        try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
        if config { try Data("{}".utf8).write(to: snapshot.appendingPathComponent("config.json")) }
        if let modified {
            try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: snapshot.path)
        }
        return snapshot.standardizedFileURL
    }

    func setRef(cache: URL, id: String, revision: String) throws {
        let refs = cache.appendingPathComponent(ModelDirectory.cacheFolderName(forID: id)).appendingPathComponent("refs")
        try FileManager.default.createDirectory(at: refs, withIntermediateDirectories: true)
        try Data((revision + "\n").utf8).write(to: refs.appendingPathComponent("main"))
    }

    var defaultCache: URL { folder.appendingPathComponent(".cache/huggingface/hub") }

    func testFolderByAbsoluteRelativeAndTildePath() throws {
        let model = folder.appendingPathComponent("tiny-gpt2", isDirectory: true)
        try write(Array("{}".utf8), to: "tiny-gpt2/config.json")
        let expected = model.standardizedFileURL.path

        let absolute = try ModelDirectory.resolve(model.path, environment: environment)
        XCTAssertEqual(absolute.url.path, expected)
        XCTAssertEqual(absolute.source, .folder)
        XCTAssertEqual(absolute.file("config.json")?.lastPathComponent, "config.json")
        XCTAssertNil(absolute.file("model.safetensors"))

        XCTAssertEqual(try ModelDirectory.resolve("~/tiny-gpt2", environment: environment).url.path, expected)

        let manager = FileManager.default
        let previous = manager.currentDirectoryPath
        defer { _ = manager.changeCurrentDirectoryPath(previous) }
        XCTAssertTrue(manager.changeCurrentDirectoryPath(folder.path))
        XCTAssertEqual(try ModelDirectory.resolve("tiny-gpt2", environment: environment).url.path, expected)
        XCTAssertEqual(try ModelDirectory.resolve("./tiny-gpt2/", environment: environment).url.path, expected)
    }

    func testFolderWithoutConfigSaysWhatItContains() throws {
        try write([1], to: "weights-only/model.safetensors")
        try write([1], to: "weights-only/vocab.json")
        let path = folder.appendingPathComponent("weights-only").path
        assertThrows(.missingConfig(folder: path, contents: ["model.safetensors", "vocab.json"]),
                     mentions: ["weights-only", "config.json", "model.safetensors, vocab.json"]) {
            try ModelDirectory.resolve(path, environment: environment)
        }
    }

    func testMissingPathAndFilePath() throws {
        let missing = folder.appendingPathComponent("nowhere").path
        assertThrows(.pathNotFound(path: missing), mentions: [missing]) {
            try ModelDirectory.resolve(missing, environment: environment)
        }
        assertThrows(.pathNotFound(path: "./nowhere")) { try ModelDirectory.resolve("./nowhere", environment: environment) }
        let file = try write(Array("{}".utf8), to: "config.json")
        assertThrows(.notAFolder(path: file.path), mentions: ["config.json", "folder"]) {
            try ModelDirectory.resolve(file.path, environment: environment)
        }
    }

    func testCachePrefersRefsMain() throws {
        let now = Date()
        let pinned = try makeSnapshot(cache: defaultCache, id: "openai-community/gpt2", revision: "aaa111",
                                      modified: now.addingTimeInterval(-3600))
        try makeSnapshot(cache: defaultCache, id: "openai-community/gpt2", revision: "bbb222", modified: now)
        try setRef(cache: defaultCache, id: "openai-community/gpt2", revision: "aaa111")
        let resolved = try ModelDirectory.resolve("openai-community/gpt2", environment: environment)
        XCTAssertEqual(resolved.url.path, pinned.path)
        XCTAssertEqual(resolved.source, .huggingFaceCache(id: "openai-community/gpt2"))
    }

    func testCacheFallsBackToNewestSnapshotWithConfig() throws {
        let now = Date()
        try makeSnapshot(cache: defaultCache, id: "gpt2", revision: "old", modified: now.addingTimeInterval(-7200))
        let newest = try makeSnapshot(cache: defaultCache, id: "gpt2", revision: "new", modified: now.addingTimeInterval(-60))
        try makeSnapshot(cache: defaultCache, id: "gpt2", revision: "partial", modified: now, config: false)
        // refs/main names a snapshot that is not there (e.g. pruned): fall back.
        try setRef(cache: defaultCache, id: "gpt2", revision: "gone")
        XCTAssertEqual(try ModelDirectory.resolve("gpt2", environment: environment).url.path, newest.path)
    }

    func testCacheFolderPrecedence() throws {
        let hubCache = folder.appendingPathComponent("hub-cache")
        let hfHome = folder.appendingPathComponent("hf-home")
        let inHome = try makeSnapshot(cache: hfHome.appendingPathComponent("hub"), id: "org/model", revision: "r1")
        let inHub = try makeSnapshot(cache: hubCache, id: "org/model", revision: "r2")
        try makeSnapshot(cache: defaultCache, id: "org/model", revision: "r3")
        var env = environment
        env["HF_HOME"] = hfHome.path
        XCTAssertEqual(try ModelDirectory.resolve("org/model", environment: env).url.path, inHome.path)
        env["HF_HUB_CACHE"] = hubCache.path
        XCTAssertEqual(try ModelDirectory.resolve("org/model", environment: env).url.path, inHub.path)
        XCTAssertEqual(ModelDirectory.cacheFolders(environment: env).map(\.path),
                       [hubCache.path, hfHome.appendingPathComponent("hub").path, defaultCache.path])
    }

    func testLocalFolderWinsOverCachedIDOfSameSpelling() throws {
        try makeSnapshot(cache: defaultCache, id: "org/model", revision: "r1")
        try write(Array("{}".utf8), to: "org/model/config.json")
        let manager = FileManager.default
        let previous = manager.currentDirectoryPath
        defer { _ = manager.changeCurrentDirectoryPath(previous) }
        XCTAssertTrue(manager.changeCurrentDirectoryPath(folder.path))
        XCTAssertEqual(try ModelDirectory.resolve("org/model", environment: environment).source, .folder)
    }

    /// A refs/main that is not a revision name (a path, empty): the error names that file as
    /// malformed, not "not in the Hugging Face cache", and no other snapshot is picked in its place
    /// (r2 holds a config.json; loading it would be loading a revision nobody asked for).
    func testMalformedRefsMainIsNamed() throws {
        try makeSnapshot(cache: defaultCache, id: "org/model", revision: "r1", config: false)
        try makeSnapshot(cache: defaultCache, id: "org/model", revision: "r2")
        let ref = defaultCache.appendingPathComponent("models--org--model/refs/main").path
        for content in ["../../etc", ""] {
            try setRef(cache: defaultCache, id: "org/model", revision: content)
            XCTAssertThrowsError(try ModelDirectory.resolve("org/model", environment: environment)) { error in
                XCTAssertEqual(error.localizedDescription,
                               "'\(ref)' is malformed: it holds \(content.debugDescription), not a revision name of snapshots/; "
                               + "delete the model's cache folder and download it again")
            }
        }
    }

    func testMissingIDListsSearchedFoldersAndSuggestsDownload() throws {
        var env = environment
        env["HF_HUB_CACHE"] = folder.appendingPathComponent("hub-cache").path
        env["HF_HOME"] = folder.appendingPathComponent("hf-home").path
        let searched = [folder.appendingPathComponent("hub-cache").path,
                        folder.appendingPathComponent("hf-home/hub").path, defaultCache.path]
        // A repo folder whose only snapshot lacks config.json is as good as absent.
        try makeSnapshot(cache: defaultCache, id: "org/missing", revision: "r1", config: false)
        assertThrows(.modelNotInCache(id: "org/missing", searched: searched),
                     mentions: searched + ["'org/missing'", "huggingface-cli download org/missing", "models--org--missing"]) {
            try ModelDirectory.resolve("org/missing", environment: env)
        }
    }

    func testIDSpelling() {
        XCTAssertTrue(ModelDirectory.isHuggingFaceID("gpt2"))
        XCTAssertTrue(ModelDirectory.isHuggingFaceID("EleutherAI/pythia-14m"))
        XCTAssertTrue(ModelDirectory.isHuggingFaceID("Qwen/Qwen2.5-0.5B_x"))
        for path in ["/abs/x", "./x", "../x", "a/b/c", "~", "a//b", "", "a b", ".hidden"] {
            XCTAssertFalse(ModelDirectory.isHuggingFaceID(path), path)
        }
        XCTAssertEqual(ModelDirectory.cacheFolderName(forID: "EleutherAI/pythia-14m"), "models--EleutherAI--pythia-14m")
        XCTAssertEqual(ModelDirectory.cacheFolderName(forID: "gpt2"), "models--gpt2")
    }
}
