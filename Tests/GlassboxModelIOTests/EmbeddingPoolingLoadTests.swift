import Foundation
import GlassboxModelIO
import XCTest

/// Reading sentence-transformers' `modules.json` and `1_Pooling/config.json` as
/// sentence-transformers does (its Pooling's switches and `pooling_mode` names), and the refusals.
final class EmbeddingPoolingLoadTests: XCTestCase {
    /// A temporary folder with `files` (relative path → text), removed after the test.
    func folder(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-pooling-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        for (path, text) in files {
            let file = url.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
        }
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let transformer = #"{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}"#
    static let pooling = #"{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}"#
    static let normalize = #"{"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}"#

    /// BGE's files: CLS pooling, then Normalize.
    static let bgeConfig = #"""
        {"word_embedding_dimension": 384, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false,
         "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false,
         "pooling_mode_weightedmean_tokens": false, "pooling_mode_lasttoken": false, "include_prompt": true}
        """#

    func modules(_ entries: String...) -> String { "[" + entries.joined(separator: ", ") + "]" }

    func testWithoutModulesJSONMeanPooling() throws {
        XCTAssertEqual(try EmbeddingPooling.load(directory: try folder(["config.json": "{}"])), .mean)
    }

    func testBGEStyleFolderPoolsCLS() throws {
        let url = try folder(["modules.json": modules(Self.transformer, Self.pooling, Self.normalize),
                              "1_Pooling/config.json": Self.bgeConfig])
        let pooling = try EmbeddingPooling.load(directory: url)
        XCTAssertEqual(pooling.modes, [.cls])
        XCTAssertEqual(pooling.description, "cls")
    }

    func testSwitchesConcatenateInSentenceTransformersOrder() throws {
        let config = #"{"pooling_mode_lasttoken": true, "pooling_mode_mean_tokens": 1, "pooling_mode_cls_token": true, "include_prompt": false}"#
        let url = try folder(["modules.json": modules(Self.transformer, Self.pooling), "1_Pooling/config.json": config])
        XCTAssertEqual(try EmbeddingPooling.load(directory: url).modes, [.cls, .mean, .lastToken])
    }

    /// sentence-transformers 6's configs: `embedding_dimension`, `pooling_mode` as a list kept in its
    /// order (repeats too), and module types under `sentence_transformer.modules`; no mode at all
    /// is mean pooling (its default).
    func testSentenceTransformers6Configs() throws {
        let transformer = #"{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"}"#
        let pooling = #"{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling"}"#
        let normalize = #"{"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.base.modules.normalize.Normalize"}"#
        for (config, modes) in [(#"{"embedding_dimension": 30, "pooling_mode": ["lasttoken", "cls"], "include_prompt": true}"#, [EmbeddingPooling.Mode.lastToken, .cls]),
                                (#"{"embedding_dimension": 30, "pooling_mode": ["mean", "mean"]}"#, [.mean, .mean]),
                                (#"{"embedding_dimension": 30}"#, [.mean]),
                                (#"{"pooling_mode_cls_token": false, "pooling_mode_mean_tokens": false}"#, [.mean])] {
            let url = try folder(["modules.json": modules(transformer, pooling, normalize), "1_Pooling/config.json": config])
            XCTAssertEqual(try EmbeddingPooling.load(directory: url).modes, modes, config)
        }
    }

    func testPoolingModeNameOverridesSwitches() throws {
        for (name, mode) in [("LastToken", EmbeddingPooling.Mode.lastToken), ("mean_sqrt_len_tokens", .meanSqrtLen),
                             ("weightedmean", .weightedMean), ("max", .max)] {
            let config = #"{"pooling_mode": "\#(name)", "pooling_mode_cls_token": true}"#
            let url = try folder(["modules.json": modules(Self.transformer, Self.pooling), "1_Pooling/config.json": config])
            XCTAssertEqual(try EmbeddingPooling.load(directory: url).modes, [mode], name)
        }
    }

    /// One refusal: the error names `file` (relative to the folder) and contains `words`.
    func assertRefused(_ files: [String: String], file: String, _ words: [String], line: UInt = #line) throws {
        let url = try folder(files)
        XCTAssertThrowsError(try EmbeddingPooling.load(directory: url), line: line) { error in
            let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            XCTAssertEqual((error as? PoolingConfigError)?.file, url.appendingPathComponent(file).path, message, line: line)
            XCTAssertTrue(message.hasPrefix(url.appendingPathComponent(file).path + ": "), message, line: line)
            XCTAssertFalse(message.contains("\n"), message, line: line)
            for word in words { XCTAssertTrue(message.contains(word), "\(message) lacks \(word)", line: line) }
        }
    }

    func testRefusals() throws {
        let dense = #"{"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}"#
        try assertRefused(["modules.json": modules(Self.transformer, Self.pooling, dense), "1_Pooling/config.json": Self.bgeConfig],
                          file: "modules.json", ["module 2", "sentence_transformers.models.Dense", "2_Dense", "after the Pooling module"])
        try assertRefused(["modules.json": modules(Self.transformer, Self.normalize, Self.pooling), "1_Pooling/config.json": Self.bgeConfig],
                          file: "modules.json", ["module 1", "Normalize", "before the Pooling module"])
        try assertRefused(["modules.json": modules(Self.transformer)], file: "modules.json", ["no sentence_transformers.models.Pooling"])
        try assertRefused(["modules.json": modules(Self.pooling)], file: "modules.json", ["module 0", "not sentence_transformers.models.Transformer"])
        try assertRefused(["modules.json": #"{"0": 1}"#], file: "modules.json", ["JSON list"])
        try assertRefused(["modules.json": "[{"], file: "modules.json", ["not valid JSON"])
        try assertRefused(["modules.json": modules(Self.transformer, Self.pooling)], file: "1_Pooling/config.json", ["is missing"])
        try assertRefused(["modules.json": modules(Self.transformer, Self.pooling), "1_Pooling/config.json": #"{"pooling_mode": []}"#],
                          file: "1_Pooling/config.json", ["'pooling_mode' is an empty list"])
        try assertRefused(["modules.json": modules(Self.transformer, Self.pooling), "1_Pooling/config.json": #"{"pooling_mode": ["cls", 3]}"#],
                          file: "1_Pooling/config.json", ["'pooling_mode' 3 is not one of"])
        try assertRefused(["modules.json": modules(Self.transformer, Self.pooling), "1_Pooling/config.json": #"{"pooling_mode": "median"}"#],
                          file: "1_Pooling/config.json", ["'pooling_mode' median"])
        try assertRefused(["modules.json": modules(Self.transformer, Self.pooling),
                           "1_Pooling/config.json": #"{"pooling_mode_mean_tokens": true, "pooling_mode_attention": true}"#],
                          file: "1_Pooling/config.json", ["key 'pooling_mode_attention' is not supported"])
        try assertRefused(["modules.json": modules(Self.transformer, Self.pooling), "1_Pooling/config.json": #"{"pooling_mode_cls_token": "yes"}"#],
                          file: "1_Pooling/config.json", ["'pooling_mode_cls_token' must be true or false"])
    }

    /// A module's `"path"` must be a string (sentence-transformers 6.3 reads `module_config["path"]`
    /// of every module, the Transformer's too, and refuses a non-string) and relative, inside the
    /// model folder (it refuses a rooted path or `..`); Glassbox reads nothing outside the folder.
    func testModulePathMustBeARelativeString() throws {
        let transformerWithout = #"{"idx": 0, "name": "0", "type": "sentence_transformers.models.Transformer"}"#
        func pooling(_ path: String) -> String {
            #"{"idx": 1, "name": "1", "path": \#(path), "type": "sentence_transformers.models.Pooling"}"#
        }
        let poolingWithout = #"{"idx": 1, "name": "1", "type": "sentence_transformers.models.Pooling"}"#
        for (entries, message) in [
            ([Self.transformer, pooling("5")], #"module 1 "path" must be a string"#),
            ([Self.transformer, pooling("null")], #"module 1 "path" must be a string"#),
            ([Self.transformer, poolingWithout], #"module 1 "path" must be a string"#),
            ([transformerWithout, Self.pooling], #"module 0 "path" must be a string"#),
            ([Self.transformer, pooling(#""/etc""#)],
             #"module 1 "path" "/etc" must be a relative path inside the model folder (Glassbox reads nothing outside it)"#),
            ([Self.transformer, pooling(#""../1_Pooling""#)],
             #"module 1 "path" "../1_Pooling" must be a relative path inside the model folder (Glassbox reads nothing outside it)"#),
            ([Self.transformer, pooling(#""C:\\x""#)],
             #"module 1 "path" "C:\\x" must be a relative path inside the model folder (Glassbox reads nothing outside it)"#),
        ] {
            let url = try folder(["modules.json": "[" + entries.joined(separator: ", ") + "]", "config.json": "{}",
                                  "1_Pooling/config.json": Self.bgeConfig])
            XCTAssertThrowsError(try EmbeddingPooling.load(directory: url), message) { error in
                XCTAssertEqual(error.localizedDescription, url.appendingPathComponent("modules.json").path + ": " + message)
            }
        }
    }

    /// A switch given as a string is quoted in the refusal, so `"true"` does not read as `true`.
    func testAStringSwitchIsQuoted() throws {
        let url = try folder(["modules.json": modules(Self.transformer, Self.pooling),
                              "1_Pooling/config.json": #"{"pooling_mode_cls_token":"true"}"#])
        XCTAssertThrowsError(try EmbeddingPooling.load(directory: url)) { error in
            XCTAssertEqual(error.localizedDescription, url.appendingPathComponent("1_Pooling/config.json").path
                           + #": 'pooling_mode_cls_token' must be true or false, got "true""#)
        }
    }
}
