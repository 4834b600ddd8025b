import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Issue 18, item 8: the hostile-input catalogue. Every case is a small value — its class, how to
/// lay out its hostile files in a temporary folder built from the fixture models, the arguments,
/// the exit code, the first line of stderr — run against the built `glassbox` under `timeout`, in
/// a folder of its own that holds a pre-existing `out.png` (and any other output files the case
/// names): after a failing run that folder must be exactly as before (no file written, replaced or
/// left behind, hidden temporaries included). One test per class runs its cases and reports every
/// failing case by name.
final class HostileCatalogueTests: XCTestCase {
    // MARK: The catalogue's values

    enum Kind: String, CaseIterable {
        case crashes, hangs, memory, garbage, usage, outputs, messages, render, checkpoint, tokenizer, prompts, images, options
    }

    /// What the first non-empty line of stderr must be.
    enum Line {
        case exact(String)
        /// Starts with `glassbox: error: ` and contains every fragment.
        case error([String])
        /// Starts with this text (a warning before the error, a note on success).
        case prefix(String, [String] = [])
        /// stderr is empty.
        case empty
    }

    /// How the executable is run, in the case's folder (its current directory).
    enum Run {
        case args([String])
        /// A `/bin/sh -c` script with `$GLASSBOX` set (redirections, raw bytes in arguments).
        case shell(String)
    }

    struct Outcome {
        let status: Int32
        let line: Line
    }

    struct Case {
        let name: String
        let kind: Kind
        /// Lays out the hostile files in the case's folder (the current directory of the run).
        var setup: (Workspace) throws -> Void = { _ in }
        let run: Run
        /// The accepted outcomes (one, except where main may still be changing, as for the regex).
        let outcomes: [Outcome]
        /// Output files created (with known bytes) before the run and checked untouched after it.
        var keep: [String] = ["out.png"]
        /// Files a successful run may write.
        var writes: [String] = []
        var timeout = 30
    }

    // MARK: The case folder

    /// The folder of one case, inside its class's folder (its sibling `prepared` holds what the class prepared once).
    struct Workspace {
        let dir: URL
        let shared: URL
        var fm: FileManager { .default }

        func url(_ name: String) -> URL { dir.appendingPathComponent(name) }

        /// A writable copy of a fixture model in the case folder; returns its (relative) name.
        @discardableResult
        func copy(_ model: String, as name: String? = nil) throws -> String {
            let target = name ?? model
            try fm.copyItem(at: Fixtures.model(model), to: url(target))
            return target
        }

        func write(_ name: String, _ data: Data) throws { try data.write(to: url(name)) }
        func write(_ name: String, _ text: String) throws { try write(name, Data(text.utf8)) }
        func remove(_ name: String) throws { try fm.removeItem(at: url(name)) }
        func folder(_ name: String) throws { try fm.createDirectory(at: url(name), withIntermediateDirectories: true) }

        /// Replaces `name` by a FIFO.
        func fifo(_ name: String) throws {
            if fm.fileExists(atPath: url(name).path) { try remove(name) }
            guard mkfifo(url(name).path, 0o600) == 0 else { throw GoldenError("mkfifo \(name) failed") }
        }

        /// A sparse file of `size` bytes (cheap, and over any stated limit without writing it).
        func sparse(_ name: String, size: UInt64) throws {
            if fm.fileExists(atPath: url(name).path) { try remove(name) }
            _ = fm.createFile(atPath: url(name).path, contents: Data("{".utf8))   // FileHandle below throws if it failed
            let handle = try FileHandle(forWritingTo: url(name))
            try handle.truncate(atOffset: size)
            try handle.close()
        }

        /// Edits a JSON object file.
        func json(_ name: String, _ edit: (inout [String: Any]) throws -> Void) throws {
            var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url(name))) as? [String: Any])
            try edit(&object)
            try JSONSerialization.data(withJSONObject: object).write(to: url(name))
        }

        /// Edits a safetensors file: its header (tensor name → entry) and its data section.
        func weights(_ name: String, _ edit: (inout [String: Any], inout Data) throws -> Void) throws {
            let data = try Data(contentsOf: url(name))
            let length = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
            var header = try XCTUnwrap(JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any])
            var body = data.subdata(in: (8 + length)..<data.count)
            try edit(&header, &body)
            var bytes = try JSONSerialization.data(withJSONObject: header)
            bytes.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - bytes.count % 8) % 8))
            var out = withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { Data($0) }
            out.append(bytes)
            out.append(body)
            try out.write(to: url(name))
        }

        /// Writes `values` as F32 into tensor `tensor` of a safetensors file, from element `at`.
        func poke(_ name: String, tensor: String, at index: Int = 0, _ values: [Float]) throws {
            try weights(name) { header, body in
                let entry = try XCTUnwrap(header[tensor] as? [String: Any], "no tensor \(tensor)")
                let start = try XCTUnwrap(entry["data_offsets"] as? [Int])[0] + 4 * index
                for (i, value) in values.enumerated() {
                    let bytes = withUnsafeBytes(of: value.bitPattern.littleEndian) { Data($0) }
                    body.replaceSubrange((start + 4 * i)..<(start + 4 * i + 4), with: bytes)
                }
            }
        }

        /// Raw bytes of a file, transformed.
        func bytes(_ name: String, _ edit: (inout Data) -> Void) throws {
            var data = try Data(contentsOf: url(name))
            edit(&data)
            try data.write(to: url(name))
        }
    }

    // MARK: Running the catalogue

    /// Messages that are Foundation's, libpng's or a trap's, never Glassbox's.
    static let foreign = ["NSCocoaErrorDomain", "Error Domain", "UserInfo", "Read Error", "libpng", "IHDR", "Missing value",
                          "The operation could not be completed", "You don’t have permission", "Unable to encode",
                          "Fatal error", "Stack dump", "Swift runtime failure", "Illegal instruction", "Segmentation fault",
                          "Dictionary<", "Optional("]

    func runClass(_ kind: Kind, prepare: (URL) throws -> Void = { _ in }) throws {
        let cases = Self.catalogue.filter { $0.kind == kind }
        XCTAssertFalse(cases.isEmpty, "no \(kind) cases")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-catalogue-\(kind)-\(UUID().uuidString)")
        let shared = root.appendingPathComponent("prepared")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try prepare(shared)
        var failures: [String] = []
        for c in cases {
            let problems: [String]
            do { problems = try run(c, in: root, shared: shared) } catch { problems = ["setup or run threw: \(error)"] }
            if !problems.isEmpty { failures.append("\(c.name): " + problems.joined(separator: "; ")) }
        }
        if !failures.isEmpty {
            XCTFail("\(failures.count) of \(cases.count) \(kind) case(s) failed:\n  " + failures.joined(separator: "\n  "))
        }
    }

    private func run(_ c: Case, in root: URL, shared: URL) throws -> [String] {
        let dir = root.appendingPathComponent(c.name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let workspace = Workspace(dir: dir, shared: shared)
        for name in c.keep { try workspace.write(name, "old \(name)") }
        try c.setup(workspace)
        let before = try Self.snapshot(dir)

        let output = try Self.execute(c.run, in: dir, timeout: c.timeout)
        var problems: [String] = []
        let first = output.stderr.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .map(String.init).first { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? ""
        if output.status == 124 || output.status == 137 {
            problems.append("timed out after \(c.timeout) s")
        } else if let outcome = c.outcomes.first(where: { $0.status == output.status }) {
            if let mismatch = Self.check(first, against: outcome.line, stderr: output.stderr) { problems.append(mismatch) }
        } else {
            problems.append("exit \(output.status), expected \(c.outcomes.map(\.status)); first stderr line: \(first)")
        }
        if output.status != 0 && !output.stdout.isEmpty { problems.append("stdout not empty: \(output.stdout.prefix(120))") }
        for text in Self.foreign where output.stderr.contains(text) { problems.append("foreign text '\(text)' on stderr") }

        let after = try Self.snapshot(dir)
        let allowed = output.status == 0 ? Set(c.writes) : []
        for (name, entry) in after where before[name] != entry && !allowed.contains(name) {
            problems.append(before[name] == nil ? "wrote \(name)" : "changed \(name)")
        }
        for name in before.keys where after[name] == nil { problems.append("removed \(name)") }
        return problems
    }

    private static func check(_ first: String, against line: Line, stderr: String) -> String? {
        switch line {
        case .exact(let text):
            return first == text ? nil : "first stderr line: \(first)\n      expected: \(text)"
        case .error(let fragments):
            guard first.hasPrefix("glassbox: error: ") else { return "first stderr line is not an error: \(first)" }
            let missing = fragments.filter { !first.contains($0) }
            return missing.isEmpty ? nil : "first stderr line: \(first)\n      lacks: \(missing)"
        case .prefix(let prefix, let fragments):
            let missing = fragments.filter { !first.contains($0) }
            return first.hasPrefix(prefix) && missing.isEmpty ? nil : "first stderr line: \(first)\n      expected: \(prefix)… \(fragments)"
        case .empty:
            return stderr.isEmpty ? nil : "stderr not empty: \(stderr.prefix(200))"
        }
    }

    struct Entry: Equatable {
        let kind: String
        var bytes: Data? = nil
    }

    /// Every entry under `dir` (relative path → kind and, for regular files up to 4 MiB, the bytes).
    static func snapshot(_ dir: URL) throws -> [String: Entry] {
        var entries: [String: Entry] = [:]
        func visit(_ url: URL, _ relative: String) throws {
            for name in try FileManager.default.contentsOfDirectory(atPath: url.path) {
                let child = url.appendingPathComponent(name), path = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard lstat(child.path, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    entries[path] = Entry(kind: "folder")
                    try visit(child, path)
                case S_IFREG:
                    if info.st_size > 4 << 20 {
                        entries[path] = Entry(kind: "file \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)")
                    } else {
                        entries[path] = Entry(kind: "file", bytes: try Data(contentsOf: child))
                    }
                case S_IFLNK: entries[path] = Entry(kind: "link " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: child.path)) ?? ""))
                default: entries[path] = Entry(kind: "special \(info.st_mode)")
                }
            }
        }
        try visit(dir, "")
        return entries
    }

    /// Runs the executable under `timeout` in `dir` (a hang is status 124).
    static func execute(_ run: Run, in dir: URL, timeout: Int) throws -> (status: Int32, stdout: String, stderr: String) {
        let executable = try glassboxExecutable().path
        let arguments: [String]
        switch run {
        case .args(let list): arguments = ["-k", "3", "\(timeout)", executable] + list
        case .shell(let script): arguments = ["-k", "3", "\(timeout)", "/bin/sh", "-c", script]
        }
        var environment = ProcessInfo.processInfo.environment
        environment["GLASSBOX"] = executable
        let output = try runProcess(URL(fileURLWithPath: "/usr/bin/timeout"), arguments, in: dir, environment: environment)
        return (output.status, output.stdout, output.stderr)
    }

    // MARK: The tests, one per class

    func testCatalogueSize() {
        let counts = Dictionary(grouping: Self.catalogue, by: \.kind).mapValues(\.count)
        print("hostile catalogue: \(Self.catalogue.count) cases; " + Kind.allCases.map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: ", "))
        XCTAssertGreaterThanOrEqual(Self.catalogue.count, 80, "\(counts)")
        for kind in Kind.allCases { XCTAssertGreaterThan(counts[kind] ?? 0, 0, "no cases of class \(kind)") }
        let names = Self.catalogue.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "case names must be unique")
    }

    func testCrashes() throws { try runClass(.crashes) }
    func testHangs() throws { try runClass(.hangs) }
    func testMemory() throws { try runClass(.memory) }
    func testSilentGarbage() throws { try runClass(.garbage) }
    func testOptionsThatDoNotApply() throws { try runClass(.usage) }
    func testOutputs() throws { try runClass(.outputs) }
    func testMessages() throws { try runClass(.messages) }
    func testRender() throws { try runClass(.render, prepare: Self.prepareResults) }
    func testCheckpoints() throws { try runClass(.checkpoint) }
    func testTokenizers() throws { try runClass(.tokenizer) }
    func testPrompts() throws { try runClass(.prompts) }
    func testImages() throws { try runClass(.images) }
    func testOptionValues() throws { try runClass(.options) }

    // MARK: Shorthands

    static func fixture(_ name: String) -> String { Fixtures.model(name).path }
    static let tiny = fixture("gpt2-tiny"), odd = fixture("gpt2-odd"), llama = fixture("llama-gqa")
    static let vit = fixture("vit-tiny"), bert = fixture("bert-tiny-mlm"), cls = fixture("bert-cls")
    static let image = Fixtures.root.appendingPathComponent("Tests/Fixtures/images/rgb8-100x33.png").path
    static let draw = ["--out", "out.png"]
    static let stdoutFull = "glassbox: error: cannot write the output to standard output: No space left on device"

    static func fails(_ status: Int32 = 1, _ fragments: String...) -> [Outcome] { [Outcome(status: status, line: .error(fragments))] }
    static func succeeds(_ line: Line = .empty) -> [Outcome] { [Outcome(status: 0, line: line)] }

    /// A case that edits one config.json value of a copied fixture and runs `info`.
    static func config(_ kind: Kind, _ name: String, _ model: String, _ key: String, _ value: Any,
                       _ fragments: String...) -> Case {
        Case(name: name, kind: kind, setup: { w in
            try w.copy(model, as: "m")
            try w.json("m/config.json") { $0[key] = value }
        }, run: .args(["info", "--model", "m"]), outcomes: [Outcome(status: 1, line: .error(["config.json"] + fragments))])
    }

    /// A case on a copied fixture whose `file` is replaced by a FIFO.
    static func fifo(_ name: String, _ model: String, _ file: String, _ arguments: [String]) -> Case {
        Case(name: name, kind: .hangs, setup: { w in
            try w.copy(model, as: "m")
            try w.fifo("m/" + file)
        }, run: .args(arguments + ["--model", "m"]), outcomes: fails(1, file, "FIFO (named pipe), not a regular file"), timeout: 10)
    }

    /// A case whose copied llama-gqa `tokenizer.json` is edited, run by `tokenize`.
    static func tokenizer(_ name: String, _ edit: @escaping (inout [String: Any]) throws -> Void, _ fragments: String...) -> Case {
        Case(name: "tokenizer-" + name, kind: .tokenizer, setup: { w in
            try w.copy("llama-gqa", as: "m")
            try w.json("m/tokenizer.json", edit)
        }, run: .args(["tokenize", "--model", "m", "hello world"]), outcomes: fails(1, fragments))
    }

    static func fails(_ status: Int32, _ fragments: [String]) -> [Outcome] { [Outcome(status: status, line: .error(fragments))] }

    /// A case whose copied llama-gqa has, instead of its tokenizer.json, a `tokenizer.model` of
    /// these bytes (a SentencePiece ModelProto), run by `tokenize`.
    static func sentencePiece(_ name: String, _ bytes: [UInt8], _ fragments: String...) -> Case {
        Case(name: "tokenizer-model-" + name, kind: .tokenizer, setup: { w in
            try w.copy("llama-gqa", as: "m")
            try w.remove("m/tokenizer.json")
            try w.write("m/tokenizer.model", Data(bytes))
        }, run: .args(["tokenize", "--model", "m", "hello world"]), outcomes: fails(1, ["tokenizer.model"] + fragments))
    }

    /// A ModelProto's one piece, `<unk>` of type UNKNOWN.
    static let unknownPiece: [UInt8] = [0x0A, 0x09, 0x0A, 0x05] + Array("<unk>".utf8) + [0x18, 0x02]

    /// A case whose copied gpt2-tiny `model.safetensors` is edited, run by `predict`.
    static func weights(_ name: String, _ edit: @escaping (Workspace) throws -> Void, _ fragments: String...) -> Case {
        Case(name: name, kind: .checkpoint, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try edit(w)
        }, run: .args(["predict", "--model", "m", "--ids", "1,2"]), outcomes: fails(1, fragments))
    }

    static func editHeader(_ edit: @escaping (inout [String: Any], Int) -> Void) -> (Workspace) throws -> Void {
        { w in try w.weights("m/model.safetensors") { header, body in edit(&header, body.count) } }
    }

    static func setEntry(_ tensor: String, _ key: String, _ value: Any) -> (Workspace) throws -> Void {
        editHeader { header, _ in
            var entry = header[tensor] as? [String: Any] ?? [:]
            entry[key] = value
            header[tensor] = entry
        }
    }

    /// A PNG with a valid header announcing `width` × `height` (8-bit gray), one data byte and an end.
    static func pngHeader(width: UInt32, height: UInt32) -> Data { HostileFileInputTests.pngHeaderOnly(width: width, height: height) }

    /// `explain`'s usage errors (exit 2) on gpt2-tiny.
    static func usage(_ name: String, _ arguments: [String], _ fragments: String...) -> Case {
        Case(name: name, kind: .usage, run: .args(arguments), outcomes: fails(2, fragments))
    }

    static func option(_ name: String, _ status: Int32, _ arguments: [String], _ fragments: String...) -> Case {
        Case(name: name, kind: .options, run: .args(arguments), outcomes: fails(status, fragments))
    }

    // MARK: render: results made once per class

    static let results: [(name: String, arguments: [String])] = [
        ("explain", ["explain", "--model", odd, "--ids", "5,8,13,21"]),
        ("explain-image", ["explain", "--model", vit, "--image", image, "--method", "rollout"]),
        ("attention-grid", ["attention", "--model", odd, "--ids", "5,8,13"]),
        ("attention-matrix", ["attention", "--model", odd, "--ids", "5,8,13", "--layer", "1", "--head", "0"]),
        ("attention-lines", ["attention", "--model", odd, "--ids", "5,8,13", "--view", "lines", "--query", "2"]),
        ("lens", ["lens", "--model", odd, "--ids", "5,8,13"]),
        ("project-ov", ["project", "--model", odd, "--layer", "1", "--head", "0", "--top-k", "5"]),
        ("project-ffn", ["project", "--model", odd, "--layer", "1", "--neuron", "3", "--top-k", "5"]),
        ("neurons", ["neurons", "--model", odd, "--layer", "1", "--ids", "5,8,13", "--top-k", "3"]),
        ("predict", ["predict", "--model", odd, "--ids", "5,8"]),
        ("tokenize", ["tokenize", "--model", tiny, "--ids", "1,2"]),
        ("info", ["info", "--model", odd]),
    ]

    static func prepareResults(_ shared: URL) throws {
        for (name, arguments) in results {
            let drawn = ["predict", "tokenize", "info"].contains(arguments[0]) ? [] : ["--out", shared.appendingPathComponent("\(name).svg").path]
            let output = try runGlassbox(arguments + ["--json"] + drawn)
            guard output.status == 0 else { throw GoldenError("\(name): \(output.stderr)") }
            try Data(output.stdout.utf8).write(to: shared.appendingPathComponent("\(name).json"))
        }
        // A neurons result with trigger examples only (no picture).
        let corpus = shared.appendingPathComponent("corpus.txt")
        try Data("To be, or not to be.\n\nGood night, sweet prince.\n".utf8).write(to: corpus)
        let triggers = try runGlassbox(["neurons", "--model", odd, "--layer", "0", "--corpus", corpus.path, "--json",
                                        "--out", shared.appendingPathComponent("triggers.svg").path])
        guard triggers.status == 0 else { throw GoldenError("triggers: \(triggers.stderr)") }
        try Data(triggers.stdout.utf8).write(to: shared.appendingPathComponent("triggers.json"))
    }

    static func render(_ name: String) -> Case {
        Case(name: "render-\(name)", kind: .render, run: .args(["render", "../prepared/\(name).json", "--out", "new.svg"]),
             outcomes: succeeds(), writes: ["new.svg"])
    }

    // MARK: The catalogue

    nonisolated(unsafe) static let catalogue: [Case] = crashes + hangs + memory + garbage + usageCases + outputs + messages + renderCases
        + checkpoints + tokenizers + prompts + images + options

    nonisolated(unsafe) static let crashes: [Case] = [
        Case(name: "resize-huge", kind: .crashes, setup: { w in
            try w.copy("vit-tiny", as: "m")
            try w.json("m/preprocessor_config.json") { $0["size"] = ["height": 200_000, "width": 200_000] }
        }, run: .args(["explain", "--model", "m", "--image", image] + draw),
             outcomes: fails(1, "preprocessor_config.json", "200000 × 200000", "limit of 4096 pixels per side")),
        Case(name: "resize-zero", kind: .crashes, setup: { w in
            try w.copy("vit-tiny", as: "m")
            try w.json("m/preprocessor_config.json") { $0["size"] = ["height": 0, "width": 0] }
        }, run: .args(["predict", "--model", "m", "--image", image]), outcomes: fails(1, "preprocessor_config.json", "'size' must give a height and width from 1 to 4096")),
        Case(name: "stdout-full-predict-json", kind: .crashes, run: .shell("\"$GLASSBOX\" predict --model \(tiny) --ids 1,2 --json > /dev/full"),
             outcomes: [Outcome(status: 1, line: .exact(stdoutFull))]),
        Case(name: "stdout-full-tokenize", kind: .crashes, run: .shell("\"$GLASSBOX\" tokenize --model \(llama) hello > /dev/full"),
             outcomes: [Outcome(status: 1, line: .exact(stdoutFull))]),
        Case(name: "stdout-full-explain-json", kind: .crashes,
             run: .shell("\"$GLASSBOX\" explain --model \(tiny) --ids 1,2,3 --json --out out.png > /dev/full"),
             outcomes: [Outcome(status: 1, line: .exact(stdoutFull))]),
        Case(name: "stdout-full-explain-heads-neurons", kind: .crashes,
             run: .shell("\"$GLASSBOX\" explain --model \(tiny) --ids 1,2,3 --heads --neurons --out out.png > /dev/full"),
             outcomes: [Outcome(status: 1, line: .exact(stdoutFull))], keep: ["out.png", "out-heads.png", "out-neurons.png"]),
        Case(name: "stdout-full-lens-json", kind: .crashes,
             run: .shell("\"$GLASSBOX\" lens --model \(tiny) --ids 1,2,3 --json --out out.png > /dev/full"),
             outcomes: [Outcome(status: 1, line: .exact(stdoutFull))]),
        Case(name: "stdout-full-neurons", kind: .crashes,
             run: .shell("\"$GLASSBOX\" neurons --model \(tiny) --layer 0 --ids 1,2 --out out.png > /dev/full"),
             outcomes: [Outcome(status: 1, line: .exact(stdoutFull))]),
        Case(name: "stdout-full-render", kind: .crashes, setup: { w in
            let output = try runGlassbox(["lens", "--model", tiny, "--ids", "1,2", "--json", "--out", w.url("first.png").path])
            try w.write("lens.json", output.stdout)
            try w.remove("first.png")
        }, run: .shell("\"$GLASSBOX\" render lens.json --out out.png > /dev/full"), outcomes: [Outcome(status: 1, line: .exact(stdoutFull))]),
        config(.crashes, "llama3-original-positions-1e30", "llama-gqa", "rope_scaling",
               ["rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4, "original_max_position_embeddings": 1e30],
               "original_max_position_embeddings"),
        config(.crashes, "positions-2^40", "llama-gqa", "max_position_embeddings", 1 << 40, "over the limit of 2147483647"),
        config(.crashes, "layers-1e30", "gpt2-tiny", "n_layer", 1e30, "'n_layer' should be an integer, got 1e+30"),
        config(.crashes, "width-fractional", "gpt2-tiny", "n_embd", 1.5, "'n_embd' should be an integer, got 1.5"),
        config(.crashes, "width-2^31", "gpt2-tiny", "n_embd", 1 << 31, "'n_embd'", "over the limit of 2147483647"),
    ]

    nonisolated(unsafe) static let hangs: [Case] = [
        fifo("fifo-weights", "gpt2-tiny", "model.safetensors", ["explain", "--ids", "1,2"] + draw),
        fifo("fifo-config", "gpt2-tiny", "config.json", ["info"]),
        fifo("fifo-tokenizer-json", "llama-gqa", "tokenizer.json", ["tokenize", "hello"]),
        fifo("fifo-vocab-json", "gpt2-tiny", "vocab.json", ["tokenize", "hello"]),
        fifo("fifo-merges", "gpt2-tiny", "merges.txt", ["predict", "hello"]),
        fifo("fifo-vocab-txt", "bert-tiny-mlm", "vocab.txt", ["tokenize", "hello"]),
        fifo("fifo-tokenizer-config", "gpt2-tiny", "tokenizer_config.json", ["tokenize", "hello"]),
        fifo("fifo-special-tokens-map", "bert-tiny-mlm", "special_tokens_map.json", ["tokenize", "hello"]),
        fifo("fifo-preprocessor", "vit-tiny", "preprocessor_config.json", ["predict", "--image", image]),
        fifo("fifo-shard", "gpt2-sharded", "model-00002-of-00003.safetensors", ["predict", "--ids", "1,2"]),
        fifo("fifo-shard-index", "gpt2-sharded", "model.safetensors.index.json", ["predict", "--ids", "1,2"]),
        Case(name: "fifo-batch-inputs", kind: .hangs, setup: { try $0.fifo("in.jsonl") },
             run: .args(["batch", "--model", tiny, "--in", "in.jsonl", "--out", "out.jsonl"]),
             outcomes: fails(1, "in.jsonl", "FIFO"), timeout: 10),
        Case(name: "fifo-merge-results", kind: .hangs, setup: { try $0.fifo("part.jsonl") },
             run: .args(["merge", "part.jsonl", "--out", "all.jsonl"]), outcomes: fails(1, "part.jsonl", "FIFO"), timeout: 10),
        Case(name: "fifo-image", kind: .hangs, setup: { try $0.fifo("digit.png") },
             run: .args(["predict", "--model", vit, "--image", "digit.png"]), outcomes: fails(1, "digit.png", "FIFO"), timeout: 10),
        Case(name: "fifo-corpus", kind: .hangs, setup: { try $0.fifo("corpus.txt") },
             run: .args(["neurons", "--model", tiny, "--layer", "0", "--neuron", "1", "--corpus", "corpus.txt"] + draw),
             outcomes: fails(1, "corpus.txt", "FIFO"), timeout: 10),
        Case(name: "fifo-result", kind: .hangs, setup: { try $0.fifo("result.json") },
             run: .args(["render", "result.json"] + draw), outcomes: fails(1, "result.json", "FIFO"), timeout: 10),
        Case(name: "fifo-image-named-in-result", kind: .hangs, setup: { w in
            let record = try runGlassbox(["explain", "--model", vit, "--image", image, "--method", "rollout", "--json",
                                          "--out", w.url("first.png").path])
            try w.remove("first.png")
            var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(record.stdout.utf8)) as? [String: Any])
            var extra = try XCTUnwrap(object["extra"] as? [String: Any])
            extra["image"] = w.url("picture.png").path
            object["extra"] = extra
            try w.write("named.json", try JSONSerialization.data(withJSONObject: object))
            try w.fifo("picture.png")
        }, run: .args(["render", "named.json"] + draw), outcomes: fails(1, "picture.png", "FIFO"), timeout: 10),
        Case(name: "config-is-dev-zero", kind: .hangs, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.remove("m/config.json")
            try FileManager.default.createSymbolicLink(atPath: w.url("m/config.json").path, withDestinationPath: "/dev/zero")
        }, run: .args(["info", "--model", "m"]), outcomes: fails(1, "config.json", "character device"), timeout: 10),
        Case(name: "corpus-is-dev-zero", kind: .hangs,
             run: .args(["neurons", "--model", tiny, "--layer", "0", "--neuron", "1", "--corpus", "/dev/zero"] + draw),
             outcomes: fails(1, "/dev/zero", "character device"), timeout: 10),
        // Exponential for a backtracking engine; main must answer in bounded time, a result or a clean error.
        Case(name: "split-regex-(a+)+$", kind: .hangs, setup: { w in
            try w.copy("llama-gqa", as: "m")
            try w.json("m/tokenizer.json") {
                $0["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": "(a+)+$"], "behavior": "Isolated", "invert": false]
            }
        }, run: .args(["tokenize", "--model", "m", String(repeating: "a", count: 4000) + "b"]),
             outcomes: [Outcome(status: 0, line: .empty), Outcome(status: 1, line: .error(["regex"]))], timeout: 5),
    ]

    nonisolated(unsafe) static let memory: [Case] = [
        Case(name: "added-token-2MB", kind: .memory, setup: { w in
            try w.copy("llama-gqa", as: "m")
            try w.json("m/tokenizer.json") { object in
                var added = object["added_tokens"] as? [[String: Any]] ?? []
                added.append(["id": 127, "content": String(repeating: "ab", count: 1_000_000), "single_word": false,
                              "lstrip": false, "rstrip": false, "normalized": false, "special": true])
                object["added_tokens"] = added
            }
        }, run: .args(["tokenize", "--model", "m", "hello"]), outcomes: fails(1, "added token", "2000000 bytes", "limit of 1024 bytes")),
        Case(name: "vocabulary-piece-5000B", kind: .memory, setup: { w in
            try w.copy("llama-gqa", as: "m")
            try w.json("m/tokenizer.json") { object in
                var model = object["model"] as? [String: Any] ?? [:]
                var vocab = model["vocab"] as? [String: Any] ?? [:]
                vocab[String(repeating: "x", count: 5000)] = 127
                model["vocab"] = vocab
                object["model"] = model
            }
        }, run: .args(["tokenize", "--model", "m", "hello"]), outcomes: fails(1, "vocabulary piece", "5000 bytes", "limit of 1024")),
        Case(name: "config-17MiB", kind: .memory, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.sparse("m/config.json", size: 17 << 20)
        }, run: .args(["info", "--model", "m"]), outcomes: fails(1, "config.json", "16 MiB")),
        Case(name: "tokenizer-300MiB", kind: .memory, setup: { w in
            try w.copy("llama-gqa", as: "m")
            try w.sparse("m/tokenizer.json", size: 300 << 20)
        }, run: .args(["tokenize", "--model", "m", "hello"]), outcomes: fails(1, "tokenizer.json", "256 MiB")),
        Case(name: "tokenizer-model-300MiB", kind: .memory, setup: { w in
            try w.copy("llama-gqa", as: "m")
            try w.remove("m/tokenizer.json")
            try w.sparse("m/tokenizer.model", size: 300 << 20)
        }, run: .args(["tokenize", "--model", "m", "hello"]), outcomes: fails(1, "tokenizer.model", "256 MiB")),
        Case(name: "result-300MiB", kind: .memory, setup: { try $0.sparse("big.json", size: 300 << 20) },
             run: .args(["render", "big.json"] + draw), outcomes: fails(1, "big.json", "256 MiB")),
        Case(name: "safetensors-header-2^40", kind: .memory, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.bytes("m/model.safetensors") { $0.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Data($0) }) }
        }, run: .args(["predict", "--model", "m", "--ids", "1"]), outcomes: fails(1, "model.safetensors", "1099511627776", "limit 100000000")),
        Case(name: "safetensors-header-110MB", kind: .memory, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.sparse("m/model.safetensors", size: 120_000_000)
            let handle = try FileHandle(forWritingTo: w.url("m/model.safetensors"))
            try handle.write(contentsOf: withUnsafeBytes(of: UInt64(110_000_000).littleEndian) { Data($0) })
            try handle.close()
        }, run: .args(["predict", "--model", "m", "--ids", "1"]), outcomes: fails(1, "model.safetensors", "110000000", "limit 100000000")),
        Case(name: "image-100000-square", kind: .memory, setup: { try $0.write("wide.png", pngHeader(width: 100_000, height: 100_000)) },
             run: .args(["explain", "--model", vit, "--image", "wide.png"] + draw),
             outcomes: fails(1, "wide.png", "100000×100000", "limit of 16384 pixels a side")),
        Case(name: "image-10000-square", kind: .memory, setup: { try $0.write("big.png", pngHeader(width: 10_000, height: 10_000)) },
             run: .args(["predict", "--model", vit, "--image", "big.png"]), outcomes: fails(1, "big.png", "10000", "limit")),
        Case(name: "config-600-levels", kind: .memory, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.write("m/config.json", #"{"model_type": "gpt2", "x": "# + String(repeating: "[", count: 600)
                        + String(repeating: "]", count: 600) + "}")
        }, run: .args(["info", "--model", "m"]), outcomes: fails(1, "config.json", "limit of 512 levels")),
        Case(name: "tokenizer-600-levels", kind: .memory, setup: { w in
            try w.copy("llama-gqa", as: "m")
            try w.write("m/tokenizer.json", #"{"x": "# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}")
        }, run: .args(["tokenize", "--model", "m", "hello"]), outcomes: fails(1, "tokenizer.json", "512 levels")),
        Case(name: "corpus-line-1.2MB", kind: .memory, setup: { w in
            try w.write("corpus.txt", String(repeating: "hello ", count: 200_000) + "To be")
        }, run: .args(["neurons", "--model", tiny, "--layer", "0", "--neuron", "1", "--corpus", "corpus.txt", "--out", "new.png"]),
             outcomes: succeeds(.prefix("note: ", ["1 paragraph(s) over 1 MiB were read in 1 MiB pieces"])), writes: ["new.png"]),
    ]

    nonisolated(unsafe) static let garbage: [Case] = [
        Case(name: "nan-weight", kind: .garbage, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.poke("m/model.safetensors", tensor: "transformer.h.1.mlp.c_fc.weight", at: 3, [.nan])
        }, run: .args(["explain", "--model", "m", "--ids", "1,2"] + draw),
             outcomes: fails(1, "'transformer.h.1.mlp.c_fc.weight'", "1 of its", "NaN or ±Inf", "--allow-nonfinite")),
        Case(name: "inf-weight", kind: .garbage, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.poke("m/model.safetensors", tensor: "transformer.wte.weight", at: 10, [.infinity, -.infinity])
        }, run: .args(["predict", "--model", "m", "--ids", "1,2"]),
             outcomes: fails(1, "'transformer.wte.weight'", "2 of its", "NaN or ±Inf")),
        Case(name: "overflowing-activation", kind: .garbage, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.poke("m/model.safetensors", tensor: "transformer.h.0.mlp.c_fc.weight", [Float](repeating: 3e38, count: 32 * 128))
        }, run: .args(["lens", "--model", "m", "--ids", "1,2"] + draw),
             outcomes: fails(1, "produced NaN or ±Inf: first at blocks.0.mlp.hook_pre")),
        config(.garbage, "rope-theta-0", "llama-gqa", "rope_theta", 0, "'rope_theta' must be a positive number, got 0"),
        config(.garbage, "rope-theta-negative", "llama-gqa", "rope_theta", -5, "'rope_theta' must be a positive number, got -5"),
        config(.garbage, "rope-linear-factor-0", "llama-gqa", "rope_scaling", ["rope_type": "linear", "factor": 0],
               "'rope_scaling.factor' must be a positive number, got 0"),
        // Swapped factors run (transformers warns; Llama3FactorTests); equal ones with the 2π wavelength on
        // 16 / low make transformers' smooth factor 0/0.
        config(.garbage, "rope-llama3-freq-factors-equal-boundary", "llama-gqa", "rope_scaling",
               ["rope_type": "llama3", "factor": 8, "low_freq_factor": 2.5464790894703255, "high_freq_factor": 2.5464790894703255,
                "original_max_position_embeddings": 16],
               "'rope_scaling.high_freq_factor'"),
        config(.garbage, "rms-eps-0", "llama-gqa", "rms_norm_eps", 0, "'rms_norm_eps' must be a positive number, got 0 (transformers runs ε = 0, but a constant row then normalises to 0/0 = NaN: Glassbox refuses it rather than return NaN; a tiny ε such as 1e-12 keeps the numbers)"),
        config(.garbage, "gpt2-eps-0", "gpt2-tiny", "layer_norm_epsilon", 0, "'layer_norm_epsilon' must be a positive number"),
        config(.garbage, "vit-eps-negative", "vit-tiny", "layer_norm_eps", -1e-6, "'layer_norm_eps' must be a positive number"),
        config(.garbage, "heads-0", "gpt2-tiny", "n_head", 0, "'n_head' must be positive, got 0"),
        config(.garbage, "heads-not-dividing", "gpt2-tiny", "n_head", 5, "'n_head' (5) must divide n_embd (32)"),
        config(.garbage, "layers-negative", "gpt2-tiny", "n_layer", -1, "'n_layer' must be positive, got -1"),
        config(.garbage, "vocabulary-0", "gpt2-tiny", "vocab_size", 0, "'vocab_size' must be positive, got 0"),
        config(.garbage, "kv-heads-not-dividing", "llama-gqa", "num_key_value_heads", 3, "'num_key_value_heads' (3) must divide"),
        config(.garbage, "partial-rotary-1.5", "qwen2-swa", "partial_rotary_factor", 1.5, "'partial_rotary_factor' is 1.5, but this family rotates the whole head"),
        config(.garbage, "patch-size-0", "vit-tiny", "patch_size", 0, "'patch_size' must be positive, got 0"),
        Case(name: "prompt-not-utf8", kind: .garbage, run: .shell(#""$GLASSBOX" predict --model "# + llama + #" "$(printf 'I pray \377 you')""#),
             outcomes: fails(1, "not valid UTF-8", "byte 0xFF at byte offset 7", "--replace-invalid-utf8")),
        Case(name: "target-not-utf8", kind: .garbage,
             run: .shell(#""$GLASSBOX" explain --model "# + llama + #" --ids 1,2 --target "$(printf '\303(')" --out out.png"#),
             outcomes: fails(1, "not valid UTF-8", "byte 0xC3 at byte offset 0")),
        Case(name: "corpus-not-utf8", kind: .garbage, setup: { w in
            try w.write("corpus.txt", Data(Array("Good night.\n\nSweet ".utf8) + [0xC3, 0x28] + Array(" prince.".utf8)))
        }, run: .args(["neurons", "--model", tiny, "--layer", "0", "--neuron", "1", "--corpus", "corpus.txt"] + draw),
             outcomes: fails(1, "corpus.txt", "not valid UTF-8", "byte 0xC3 at byte offset 19")),
    ]

    nonisolated(unsafe) static let usageCases: [Case] = {
        let explain = ["explain", "--model", tiny, "--ids", "1,2,3"] + draw
        return [
            usage("factor-with-rollout", explain + ["--method", "rollout", "--factor", "0.2"], "--factor applies to atman, not rollout"),
            usage("no-conceptual-with-gae", explain + ["--method", "gae", "--no-conceptual"], "--no-conceptual"),
            usage("granularity-with-attention", explain + ["--method", "attention", "--granularity", "word"], "--granularity"),
            usage("discard-ratio-with-atman", explain + ["--method", "atman", "--discard-ratio", "0.5"], "--discard-ratio"),
            usage("start-layer-with-cp-lrp", explain + ["--method", "cp-lrp", "--start-layer", "1"], "--start-layer"),
            usage("head-fusion-with-grad-input", explain + ["--method", "grad-input", "--head-fusion", "max"], "--head-fusion"),
            usage("heads-with-rollout", explain + ["--method", "rollout", "--heads"], "--heads", "rollout"),
            usage("seed-with-atman", explain + ["--method", "atman", "--seed", "contrastive"], "--seed"),
            usage("contrast-with-rollout", explain + ["--method", "rollout", "--contrast-id", "3"], "--contrast"),
            usage("neuron-count-without-neurons", explain + ["--neuron-count", "5"], "--neuron-count"),
            usage("color-scale-and-limit", explain + ["--color-scale", "max", "--color-limit", "2"], "--color-limit"),
            usage("kappa-with-no-conceptual", explain + ["--method", "atman", "--no-conceptual", "--kappa", "0.3"], "--kappa"),
            usage("words-without-prompt", explain + ["--words"], "--words"),
            usage("compare-on-causal-lm", ["explain", "--model", tiny, "--ids", "1,2", "--compare-ids", "3,4"] + draw, "--compare"),
            usage("position-for-classifier", ["explain", "--model", cls, "--ids", "2,5,3", "--position", "1"] + draw, "--position"),
            usage("predict-position-for-classifier", ["predict", "--model", cls, "--ids", "2,5,3", "--position", "1"], "--position"),
            usage("query-outside-lines", ["attention", "--model", tiny, "--ids", "1,2", "--query", "1"] + draw, "--query", "lines"),
            usage("tile-outside-grid", ["attention", "--model", tiny, "--ids", "1,2", "--view", "matrix", "--tile", "8"] + draw, "--tile", "grid"),
            usage("project-head-and-neuron", ["project", "--model", tiny, "--layer", "0", "--head", "1", "--neuron", "3"] + draw, "--neuron"),
            usage("project-ffn-key-with-head", ["project", "--model", tiny, "--layer", "0", "--what", "ffn-key", "--head", "1"] + draw, "--head"),
            usage("project-without-neuron", ["project", "--model", tiny, "--layer", "0"] + draw, "--neuron"),
            usage("neurons-position-without-prompt", ["neurons", "--model", tiny, "--layer", "0", "--neuron", "1", "--position", "0"] + draw,
                  "--position"),
            usage("tokenize-special-with-ids", ["tokenize", "--model", tiny, "--ids", "1,2", "--no-special-tokens"], "--no-special-tokens"),
            usage("tokenize-image", ["tokenize", "--model", llama, "--image", image], "tokenize reads text"),
            usage("no-input", ["predict", "--model", tiny], "no input"),
            usage("two-inputs", ["predict", "--model", tiny, "hello", "--ids", "1,2"], "give one input"),
        ]
    }()

    nonisolated(unsafe) static let outputs: [Case] = [
        Case(name: "heads-picture-is-a-folder", kind: .outputs, setup: { try $0.folder("out-heads.png") },
             run: .args(["explain", "--model", tiny, "--ids", "1,2,3", "--heads"] + draw), outcomes: fails(1, "out-heads.png", "folder")),
        Case(name: "neurons-picture-is-a-folder", kind: .outputs, setup: { try $0.folder("out-neurons.svg") },
             run: .args(["explain", "--model", tiny, "--ids", "1,2,3", "--heads", "--neurons", "--json", "--out", "out.svg"]),
             outcomes: fails(1, "out-neurons.svg"), keep: ["out.svg", "out-heads.svg"]),
        Case(name: "late-failure-keeps-three-pictures", kind: .outputs,
             run: .args(["explain", "--model", tiny, "--ids", "1,2,3", "--heads", "--neurons", "--target-id", "999"] + draw),
             outcomes: fails(1, "999"), keep: ["out.png", "out-heads.png", "out-neurons.png"]),
        Case(name: "non-finite-result-json", kind: .outputs, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.poke("m/model.safetensors", tensor: "transformer.wte.weight", at: 100 * 32, [.nan])
        }, run: .args(["explain", "--model", "m", "--ids", "1,2,3", "--method", "rollout", "--allow-nonfinite", "--json"] + draw),
             outcomes: [Outcome(status: 1, line: .prefix("warning: 1 tensor(s) hold NaN or ±Inf values"))]),
        Case(name: "batch-output-exists", kind: .outputs, setup: { w in
            try w.write("in.jsonl", #"{"id": 1, "ids": [1, 2]}"#)
            try w.write("out.jsonl", "precious\n")
        }, run: .args(["batch", "--model", tiny, "--in", "in.jsonl", "--out", "out.jsonl"]),
             outcomes: fails(2, "out.jsonl already exists: --resume continues it, --overwrite replaces it")),
        Case(name: "batch-resume-foreign-file", kind: .outputs, setup: { w in
            try w.write("in.jsonl", #"{"id": 1, "ids": [1, 2]}"#)
            try w.write("out.jsonl", #"{"something": "else"}"# + "\n")
        }, run: .args(["batch", "--model", tiny, "--in", "in.jsonl", "--out", "out.jsonl", "--resume"]),
             outcomes: fails(1, "out.jsonl line 1 is not a record of `glassbox batch`")),
        Case(name: "batch-resume-other-inputs", kind: .outputs, setup: { w in
            try w.write("in.jsonl", #"{"id": 1, "ids": [1, 2]}"#)
            try w.write("out.jsonl", #"{"id":"x","index":0,"command":"explain"}"# + "\n")
        }, run: .args(["batch", "--model", tiny, "--in", "in.jsonl", "--out", "out.jsonl", "--resume"]),
             outcomes: fails(1, "holds id \"x\" for input 0, but the input file has id 1 there")),
        Case(name: "merge-out-of-order", kind: .outputs, setup: { w in
            try w.write("part.jsonl", #"{"id":1,"index":3}"# + "\n" + #"{"id":2,"index":1}"# + "\n")
        }, run: .args(["merge", "part.jsonl", "--out", "all.jsonl"]), outcomes: fails(1, "part.jsonl line 2: index 1 after 3")),
        Case(name: "out-folder-missing", kind: .outputs, run: .args(["lens", "--model", tiny, "--ids", "1,2", "--out", "no/such/x.png"]),
             outcomes: fails(1, "does not exist")),
        Case(name: "out-extension-unknown", kind: .outputs, run: .args(["lens", "--model", tiny, "--ids", "1,2", "--out", "out.bmp"]),
             outcomes: fails(1, "out.bmp", ".png, .svg or .pdf")),
        Case(name: "out-is-a-folder", kind: .outputs, setup: { try $0.folder("pic.png") },
             run: .args(["attention", "--model", tiny, "--ids", "1,2", "--out", "pic.png"]), outcomes: fails(1, "pic.png", "folder")),
        Case(name: "out-under-a-file", kind: .outputs, setup: { try $0.write("file.txt", "x") },
             run: .args(["project", "--model", tiny, "--layer", "0", "--head", "1", "--out", "file.txt/x.png"]),
             outcomes: fails(1, "is a file, not a folder")),
        Case(name: "render-broken-result-keeps-picture", kind: .outputs, setup: { try $0.write("r.json", #"{"command": "explain", "tokens": 3}"#) },
             run: .args(["render", "r.json"] + draw), outcomes: fails(1, "r.json", "explain")),
        Case(name: "neurons-bad-corpus-keeps-picture", kind: .outputs, setup: { try $0.write("c.txt", Data([0x66, 0xFF, 0x0A])) },
             run: .args(["neurons", "--model", tiny, "--layer", "0", "--ids", "1,2", "--corpus", "c.txt"] + draw), outcomes: fails(1, "c.txt", "UTF-8")),
        Case(name: "default-output-folder-not-created-on-failure", kind: .outputs,
             run: .args(["explain", "--model", tiny, "--ids", "1,2", "--target-id", "999"]), outcomes: fails(1, "999")),
        Case(name: "success-replaces-all-and-leaves-no-temporaries", kind: .outputs,
             run: .args(["explain", "--model", tiny, "--ids", "1,2,3", "--heads", "--neurons"] + draw),
             outcomes: succeeds(), keep: ["out.png", "out-heads.png"], writes: ["out.png", "out-heads.png", "out-neurons.png"]),
    ]

    nonisolated(unsafe) static let messages: [Case] = {
        let enums: [(String, [String], [String])] = [
            ("method", ["explain", "--method"], ["attnlrp", "cp-lrp", "grad-input", "atman", "rollout", "flow", "gae", "chefer", "attention"]),
            ("granularity", ["explain", "--granularity"], ["token", "word", "sentence"]),
            ("head-fusion", ["explain", "--head-fusion"], ["mean", "max", "min"]),
            ("seed", ["explain", "--seed"], ["logit", "contrastive"]),
            ("color-scale", ["explain", "--color-scale"], ["robust", "max"]),
            ("view", ["attention", "--view"], ["matrix", "grid", "lines"]),
            ("site", ["lens", "--site"], ["resid", "attn", "mlp"]),
            ("what", ["project", "--what"], ["ffn-key", "ffn-value", "ov", "qk"]),
            ("filter", ["project", "--filter"], ["all", "ascii", "alnum"]),
        ]
        let enumCases = enums.map { name, arguments, values in
            Case(name: "enum-\(name)-lists-values", kind: .messages, run: .args(arguments + ["magic"]),
                 outcomes: fails(2, ["'magic'"] + values.map { "'\($0)'" }))
        }
        let negatives: [(String, [String], Int32, [String])] = [
            ("top-k", ["predict", "--model", tiny, "--ids", "1", "--top-k", "-1"], 2, ["--top-k", "-1"]),
            ("threads", ["predict", "--model", tiny, "--ids", "1", "--threads", "-2"], 2, ["--threads", "-2"]),
            ("color-limit", ["explain", "--model", tiny, "--ids", "1", "--color-limit", "-1"] + draw, 2, ["--color-limit", "-1"]),
            ("discard-ratio", ["explain", "--model", tiny, "--ids", "1", "--method", "rollout", "--discard-ratio", "-0.5"] + draw, 2,
             ["--discard-ratio", "-0.5"]),
            ("position", ["predict", "--model", tiny, "--ids", "1,2", "--position", "-1"], 1, ["--position -1"]),
            ("ids", ["predict", "--model", tiny, "--ids", "-1,2"], 1, ["token id -1"]),
        ]
        let negativeCases = negatives.map { name, arguments, status, fragments in
            Case(name: "negative-\(name)-as-separate-argument", kind: .messages, run: .args(arguments), outcomes: fails(status, fragments))
        }
        return enumCases + negativeCases + [
            Case(name: "corpus-missing", kind: .messages, run: .args(["neurons", "--model", tiny, "--layer", "0", "--corpus", "nope.txt"] + draw),
                 outcomes: fails(1, "nope.txt", "no such file")),
            Case(name: "image-missing", kind: .messages, run: .args(["predict", "--model", vit, "--image", "nope.png"]),
                 outcomes: fails(1, "nope.png", "no such file")),
            Case(name: "image-is-a-folder", kind: .messages, setup: { try $0.folder("dir.png") },
                 run: .args(["predict", "--model", vit, "--image", "dir.png"]), outcomes: fails(1, "dir.png", "is a folder, not a regular file")),
            Case(name: "image-is-a-device", kind: .messages, run: .args(["predict", "--model", vit, "--image", "/dev/null"]),
                 outcomes: fails(1, "/dev/null", "character device")),
            Case(name: "result-is-a-device", kind: .messages, run: .args(["render", "/dev/null"] + draw),
                 outcomes: fails(1, "/dev/null", "not a regular file")),
            Case(name: "result-missing", kind: .messages, run: .args(["render", "nope.json"] + draw), outcomes: fails(1, "nope.json")),
            Case(name: "model-missing", kind: .messages, run: .args(["info", "--model", "no/such-model"]),
                 outcomes: fails(1, "'no/such-model' is not a local folder and not in the Hugging Face cache")),
            Case(name: "model-folder-without-config", kind: .messages, setup: { w in
                try w.copy("gpt2-tiny", as: "m")
                try w.remove("m/config.json")
            }, run: .args(["info", "--model", "m"]), outcomes: fails(1, "has no config.json", "model.safetensors")),
            Case(name: "model-is-a-file", kind: .messages, setup: { try $0.write("model.bin", "x") },
                 run: .args(["info", "--model", "model.bin"]), outcomes: fails(1, "model.bin")),
            Case(name: "config-is-a-folder", kind: .messages, setup: { w in
                try w.copy("gpt2-tiny", as: "m")
                try w.remove("m/config.json")
                try w.folder("m/config.json")
            }, run: .args(["info", "--model", "m"]), outcomes: fails(1, "config.json", "folder")),
            Case(name: "png-truncated", kind: .messages, setup: { w in
                let data = try Data(contentsOf: URL(fileURLWithPath: image))
                try w.write("cut.png", data.prefix(data.count / 2))
            }, run: .args(["predict", "--model", vit, "--image", "cut.png"]), outcomes: fails(1, "cut.png is not a readable PNG: it ends early (truncated)")),
            Case(name: "png-too-large", kind: .messages, setup: { try $0.write("huge.png", pngHeader(width: 40_000, height: 30_000)) },
                 run: .args(["predict", "--model", vit, "--image", "huge.png"]), outcomes: fails(1, "huge.png", "40000", "30000", "limit")),
        ]
    }()

    nonisolated(unsafe) static let renderCases: [Case] = results.prefix(9).map { render($0.name) } + [
        Case(name: "render-predict-result", kind: .render, run: .args(["render", "../prepared/predict.json"] + draw),
             outcomes: fails(1, "a predict result has no picture", "explain, attention, lens, project, neurons, patch, trace, path and evaluate")),
        Case(name: "render-tokenize-result", kind: .render, run: .args(["render", "../prepared/tokenize.json"] + draw),
             outcomes: fails(1, "a tokenize result has no picture")),
        Case(name: "render-info-result", kind: .render, run: .args(["render", "../prepared/info.json"] + draw),
             outcomes: fails(1, "an info result has no picture")),
        Case(name: "render-triggers-only", kind: .render, run: .args(["render", "../prepared/triggers.json"] + draw),
             outcomes: fails(1, "no picture (trigger examples only)")),
        Case(name: "render-unknown-object", kind: .render, setup: { try $0.write("r.json", #"{"hello": 1}"#) },
             run: .args(["render", "r.json"] + draw), outcomes: fails(1, "r.json", "explain, attention, lens, project, neurons, patch, trace, path and evaluate")),
        Case(name: "render-broken-explain", kind: .render, setup: { try $0.write("r.json", #"{"command": "explain", "tokens": 3}"#) },
             run: .args(["render", "r.json"] + draw), outcomes: fails(1, "r.json", "not a readable explain result")),
        Case(name: "render-not-json", kind: .render, setup: { try $0.write("r.json", "not json at all") },
             run: .args(["render", "r.json"] + draw), outcomes: fails(1, "r.json", "not JSON")),
        Case(name: "render-empty-file", kind: .render, setup: { try $0.write("r.json", "") },
             run: .args(["render", "r.json"] + draw), outcomes: fails(1, "r.json")),
        Case(name: "render-json-array", kind: .render, setup: { try $0.write("r.json", "[1, 2]") },
             run: .args(["render", "r.json"] + draw), outcomes: fails(1, "r.json")),
        Case(name: "render-image-result-image-missing", kind: .render, setup: { w in
            var object = try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(contentsOf: w.shared.appendingPathComponent("explain-image.json"))) as? [String: Any])
            var extra = try XCTUnwrap(object["extra"] as? [String: Any])
            extra["image"] = w.url("gone.png").path
            object["extra"] = extra
            try w.write("r.json", try JSONSerialization.data(withJSONObject: object))
        }, run: .args(["render", "r.json"] + draw), outcomes: fails(1, "gone.png", "no such file")),
        Case(name: "render-color-limit-on-lens", kind: .render, run: .args(["render", "../prepared/lens.json", "--color-limit", "2"] + draw),
             outcomes: fails(2, "--color-limit")),
        Case(name: "render-color-scale-on-attention", kind: .render,
             run: .args(["render", "../prepared/attention-grid.json", "--color-scale", "max"] + draw), outcomes: fails(2, "--color-scale")),
    ]

    nonisolated(unsafe) static let checkpoints: [Case] = [
        weights("header-length-beyond-file", { w in
            try w.bytes("m/model.safetensors") { data in
                data.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(data.count * 10).littleEndian) { Data($0) })
            }
        }, "model.safetensors", "header length", "does not fit"),
        weights("file-shorter-than-8-bytes", { try $0.write("m/model.safetensors", "12345") }, "not a safetensors file", "5 bytes"),
        weights("data-truncated", { w in try w.bytes("m/model.safetensors") { $0.removeLast(1000) } }, "run past", "data section"),
        weights("header-not-json", { w in
            try w.bytes("m/model.safetensors") { data in data.replaceSubrange(8..<18, with: Data("not json!!".utf8)) }
        }, "header is not valid JSON"),
        weights("offsets-overlap", setEntry("transformer.h.0.attn.c_attn.weight", "data_offsets", [0, 12288]), "overlap"),
        weights("offsets-out-of-range", editHeader { header, size in
            var entry = header["transformer.h.0.attn.c_attn.weight"] as? [String: Any] ?? [:]
            entry["data_offsets"] = [384, size + 4096]
            header["transformer.h.0.attn.c_attn.weight"] = entry
        }, "run past"),
        weights("dtype-unknown", setEntry("transformer.h.0.attn.c_attn.weight", "dtype", "Q4"), "unknown dtype 'Q4'", "F32"),
        weights("shape-negative", setEntry("transformer.h.0.attn.c_attn.weight", "shape", [-32, -96]), "negative dimension"),
        weights("shape-and-bytes-disagree", setEntry("transformer.h.0.attn.c_attn.weight", "shape", [32, 95]), "needs 12160 bytes"),
        // The file as a writer leaves it without the tensor: its entry and its bytes gone, the later
        // offsets moved down (an entry dropped alone leaves bytes of no tensor, an error of its own).
        weights("tensor-missing", { w in
            try w.weights("m/model.safetensors") { header, body in
                let name = "transformer.wpe.weight"
                let range = try XCTUnwrap((header[name] as? [String: Any])?["data_offsets"] as? [Int])
                header[name] = nil
                body.removeSubrange(range[0]..<range[1])
                for (key, value) in header {
                    guard var entry = value as? [String: Any], let offsets = entry["data_offsets"] as? [Int], offsets[0] >= range[1] else { continue }
                    entry["data_offsets"] = offsets.map { $0 - (range[1] - range[0]) }
                    header[key] = entry
                }
            }
        }, "'transformer.wpe.weight' is missing"),
        weights("tensor-extra", { w in
            try w.weights("m/model.safetensors") { header, body in
                header["transformer.h.0.bogus"] = ["dtype": "F32", "shape": [1], "data_offsets": [body.count, body.count + 4]]
                body.append(Data(count: 4))
            }
        }, "weights this architecture does not use", "transformer.h.0.bogus"),
        weights("tensor-mis-shaped", setEntry("transformer.h.0.attn.c_attn.weight", "shape", [96, 32]),
                "'transformer.h.0.attn.c_attn.weight'", "shape [96, 32]", "[32, 96]"),
        weights("weights-missing", { try $0.remove("m/model.safetensors") }, "m"),
        Case(name: "shard-missing", kind: .checkpoint, setup: { w in
            try w.copy("gpt2-sharded", as: "m")
            try w.remove("m/model-00003-of-00003.safetensors")
        }, run: .args(["predict", "--model", "m", "--ids", "1,2"]), outcomes: fails(1, "model-00003-of-00003.safetensors")),
        Case(name: "shard-index-not-json", kind: .checkpoint, setup: { w in
            try w.copy("gpt2-sharded", as: "m")
            try w.write("m/model.safetensors.index.json", "{nope")
        }, run: .args(["predict", "--model", "m", "--ids", "1,2"]), outcomes: fails(1, "model.safetensors.index.json")),
        Case(name: "model-type-unknown", kind: .checkpoint, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.json("m/config.json") { $0["model_type"] = "t5" }
        }, run: .args(["info", "--model", "m"]),
             outcomes: fails(1, "model_type 't5' is not supported; supported: albert, arcee, bert, bloom, camembert, codegen, cohere, cohere2, distilbert, electra, falcon, gemma, gemma2, gemma3, gemma3_text, glm, glm4, gpt2, gpt_bigcode, gpt_neo, gpt_neox, gptj, granite, granitemoe, granitemoeshared, helium, llama, mistral, mixtral, modernbert, mpt, nemotron, olmo, olmo2, olmoe, opt, phi, phi3, phimoe, qwen2, qwen2_moe, qwen3, qwen3_moe, roberta, smollm3, stablelm, starcoder2, vit, xlm-roberta")),
        Case(name: "model-type-missing", kind: .checkpoint, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.json("m/config.json") { $0["model_type"] = nil }
        }, run: .args(["info", "--model", "m"]), outcomes: fails(1, "'model_type' is missing; supported: albert, arcee, bert, bloom, camembert, codegen, cohere, cohere2, distilbert, electra, falcon, gemma")),
        Case(name: "config-not-json", kind: .checkpoint, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.write("m/config.json", "{bad")
        }, run: .args(["info", "--model", "m"]), outcomes: fails(1, "config.json", "not valid JSON")),
        Case(name: "config-an-array", kind: .checkpoint, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.write("m/config.json", "[1, 2]")
        }, run: .args(["info", "--model", "m"]), outcomes: fails(1, "config.json", "a JSON object")),
        config(.checkpoint, "config-string-for-integer", "gpt2-tiny", "n_layer", "two", "'n_layer' should be an integer"),
        config(.checkpoint, "config-string-for-number", "gpt2-tiny", "layer_norm_epsilon", "x", "'layer_norm_epsilon' should be a number"),
        config(.checkpoint, "rope-type-unknown", "llama-gqa", "rope_scaling", ["rope_type": "magic", "factor": 2],
               "'rope_scaling' type 'magic' is not supported for llama; supported: default, linear, dynamic, llama3"),
    ]

    nonisolated(unsafe) static let tokenizers: [Case] = [
        tokenizer("model-type-unknown", { $0["model"] = ["type": "Magic"] }, "unsupported model type 'Magic'; supported: BPE, Unigram, WordLevel, WordPiece"),
        tokenizer("vocab-missing", { object in
            var model = object["model"] as? [String: Any] ?? [:]
            model["vocab"] = nil
            object["model"] = model
        }, "tokenizer.json", "missing field 'vocab'"),
        tokenizer("vocab-empty", { object in
            var model = object["model"] as? [String: Any] ?? [:]
            model["vocab"] = [String: Any]()
            object["model"] = model
        }, "unknown token '<unk>'", "not in its vocabulary"),
        tokenizer("merge-of-unknown-tokens", { object in
            var model = object["model"] as? [String: Any] ?? [:]
            model["merges"] = [["zz", "qq"]]
            object["model"] = model
        }, "the token \"zz\" is not in the vocabulary"),
        tokenizer("pre-tokenizer-unknown", { $0["pre_tokenizer"] = ["type": "Magic"] }, "unsupported pre-tokenizer type 'Magic'; supported:"),
        tokenizer("normalizer-unknown", { $0["normalizer"] = ["type": "Magic"] }, "unsupported normalizer type 'Magic'; supported:"),
        tokenizer("decoder-unknown", { $0["decoder"] = ["type": "Magic"] }, "unsupported decoder type 'Magic'; supported:"),
        tokenizer("post-processor-unknown", { $0["post_processor"] = ["type": "Magic"] }, "unsupported post-processor type 'Magic'; supported:"),
        tokenizer("split-regex-invalid", {
            $0["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": "("], "behavior": "Isolated", "invert": false]
        }, "regex \"(\"", "missing ')'"),
        Case(name: "tokenizer-not-json", kind: .tokenizer, setup: { w in
            try w.copy("llama-gqa", as: "m")
            try w.write("m/tokenizer.json", "{nope")
        }, run: .args(["tokenize", "--model", "m", "hello"]), outcomes: fails(1, "tokenizer.json is not a valid tokenizer file", "invalid JSON")),
        Case(name: "tokenizer-an-array", kind: .tokenizer, setup: { w in
            try w.copy("llama-gqa", as: "m")
            try w.write("m/tokenizer.json", "[]")
        }, run: .args(["tokenize", "--model", "m", "hello"]), outcomes: fails(1, "tokenizer.json", "expected a JSON object")),
        Case(name: "no-tokenizer-for-a-prompt", kind: .tokenizer, setup: { w in
            try w.copy("llama-gqa", as: "m")
            try w.remove("m/tokenizer.json")
        }, run: .args(["predict", "--model", "m", "hello"]), outcomes: fails(1, "has no tokenizer", "--ids")),
        Case(name: "vocab-json-not-json", kind: .tokenizer, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.write("m/vocab.json", "{bad")
        }, run: .args(["tokenize", "--model", "m", "hello"]), outcomes: fails(1, "vocab.json", "invalid JSON")),
        Case(name: "merges-txt-unknown-token", kind: .tokenizer, setup: { w in
            try w.copy("gpt2-tiny", as: "m")
            try w.write("m/merges.txt", "#version: 0.2\nzz qq\n")
        }, run: .args(["tokenize", "--model", "m", "hello"]), outcomes: fails(1, "merges.txt", "\"zz\" is not in the vocabulary")),
        sentencePiece("empty", [], "the model has no pieces"),
        sentencePiece("truncated", [0x0A, 0x10, 0x0A, 0x03], "not a SentencePiece ModelProto", "truncated"),
        sentencePiece("wrong-wire-type", [0x08, 0x05], "ModelProto field 1 has the wrong wire type"),
        sentencePiece("bad-wire-type", [0x0F], "malformed protobuf"),
        sentencePiece("huge-length", [0x0A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], "not a SentencePiece ModelProto"),
        sentencePiece("invalid-utf8", [0x0A, 0x04, 0x0A, 0x02, 0xFF, 0xFE], "a string field is not valid UTF-8"),
        sentencePiece("unknown-model-type", unknownPiece + [0x12, 0x02, 0x18, 0x09], "model_type is not a known model type"),
        sentencePiece("word-model", unknownPiece + [0x12, 0x02, 0x18, 0x03], "unsupported model type 'SentencePiece word'"),
        sentencePiece("no-unknown-piece", [0x0A, 0x05, 0x0A, 0x03] + Array("abc".utf8), "no piece has the type UNKNOWN"),
        Case(name: "vocab-txt-empty", kind: .tokenizer, setup: { w in
            try w.copy("bert-tiny-mlm", as: "m")
            try w.write("m/vocab.txt", "")
        }, run: .args(["tokenize", "--model", "m", "hello"]), outcomes: fails(1, "'[UNK]'", "not in its vocabulary")),
    ]

    nonisolated(unsafe) static let prompts: [Case] = [
        Case(name: "prompt-empty", kind: .prompts, run: .args(["predict", "--model", llama, ""]), outcomes: fails(1, "the input is empty")),
        Case(name: "ids-empty", kind: .prompts, run: .args(["predict", "--model", llama, "--ids", ""]), outcomes: fails(1, "the input is empty")),
        Case(name: "prompt-without-tokens", kind: .prompts, run: .args(["predict", "--model", tiny, "hello"]),
             outcomes: fails(1, "the tokenizer gives no tokens for \"hello\"")),
        Case(name: "ids-longer-than-context", kind: .prompts,
             run: .args(["predict", "--model", tiny, "--ids", Array(repeating: "5", count: 40).joined(separator: ",")]),
             outcomes: fails(1, "40", "32")),
        Case(name: "prompt-longer-than-context", kind: .prompts,
             run: .args(["explain", "--model", tiny, String(repeating: ".,!?", count: 10)] + draw), outcomes: fails(1, "40", "32")),
        Case(name: "id-out-of-range", kind: .prompts, run: .args(["predict", "--model", llama, "--ids", "99999"]),
             outcomes: fails(1, "token id 99999 at position 0 is outside the vocabulary (0..<128)")),
        Case(name: "ids-malformed-empty-field", kind: .prompts, run: .args(["predict", "--model", llama, "--ids", "1,,2"]),
             outcomes: fails(2, "'' is not a token id")),
        Case(name: "ids-malformed-letters", kind: .prompts, run: .args(["lens", "--model", llama, "--ids", "a,b"] + draw),
             outcomes: fails(2, "'a' is not a token id")),
        Case(name: "position-beyond-input", kind: .prompts, run: .args(["predict", "--model", llama, "--ids", "1,2", "--position", "5"]),
             outcomes: fails(1, "--position 5 is outside the input (0..<2)")),
        Case(name: "target-not-one-token", kind: .prompts, run: .args(["explain", "--model", odd, "--ids", "5,8", "--target", "the cat"] + draw),
             outcomes: fails(1, "--target 'the cat'")),
        Case(name: "target-id-out-of-range", kind: .prompts,
             run: .args(["explain", "--model", llama, "--ids", "1,2", "--target-id", "99999"] + draw), outcomes: fails(1, "--target-id 99999")),
        Case(name: "contrast-id-out-of-range", kind: .prompts,
             run: .args(["explain", "--model", llama, "--ids", "1,2", "--contrast-id", "99999"] + draw), outcomes: fails(1, "--contrast-id 99999")),
        Case(name: "masked-lm-without-mask", kind: .prompts, run: .args(["predict", "--model", bert, "--ids", "2,5,3"]),
             outcomes: fails(1, "no mask token")),
        Case(name: "text-for-vision-model", kind: .prompts, run: .args(["predict", "--model", vit, "hello"]),
             outcomes: fails(1, "this vit model reads images; pass --image")),
        Case(name: "replaced-invalid-utf8-prompt", kind: .prompts,
             run: .shell(#""$GLASSBOX" tokenize --model "# + llama + #" --replace-invalid-utf8 "$(printf 'I pray \377 you')" > /dev/null"#),
             outcomes: succeeds()),
    ]

    nonisolated(unsafe) static let images: [Case] = [
        Case(name: "not-a-png", kind: .images, setup: { try $0.write("t.png", "not a png") },
             run: .args(["predict", "--model", vit, "--image", "t.png"]), outcomes: fails(1, "t.png is not a PNG file")),
        Case(name: "zero-size", kind: .images, setup: { try $0.write("z.png", "") },
             run: .args(["explain", "--model", vit, "--image", "z.png"] + draw), outcomes: fails(1, "z.png is not a PNG file")),
        Case(name: "jpeg-named-png", kind: .images, setup: { try $0.write("j.png", Data([0xFF, 0xD8, 0xFF, 0xE0, 0x4A, 0x46, 0x49, 0x46])) },
             run: .args(["predict", "--model", vit, "--image", "j.png"]), outcomes: fails(1, "j.png is not a PNG file")),
        Case(name: "bad-crc", kind: .images, setup: { w in
            var data = try Data(contentsOf: URL(fileURLWithPath: image))
            data[40] ^= 0xFF
            try w.write("crc.png", data)
        }, run: .args(["predict", "--model", vit, "--image", "crc.png"]), outcomes: fails(1, "crc.png is not a readable PNG")),
        Case(name: "png-for-text-model", kind: .images, run: .args(["predict", "--model", llama, "--image", image]),
             outcomes: fails(1, "this llama model reads text, not images")),
        Case(name: "ids-for-vision-model", kind: .images, run: .args(["attention", "--model", vit, "--ids", "1,2"] + draw),
             outcomes: fails(1, "this vit model reads images")),
        Case(name: "preprocessor-missing", kind: .images, setup: { w in
            try w.copy("vit-tiny", as: "m")
            try w.remove("m/preprocessor_config.json")
        }, run: .args(["predict", "--model", "m", "--image", image]), outcomes: fails(1, "preprocessor_config.json", "is missing")),
        Case(name: "preprocessor-std-zero", kind: .images, setup: { w in
            try w.copy("vit-tiny", as: "m")
            try w.json("m/preprocessor_config.json") { $0["image_std"] = [0, 0, 0] }
        }, run: .args(["predict", "--model", "m", "--image", image]), outcomes: fails(1, "'image_mean' and 'image_std'", "std positive")),
        Case(name: "preprocessor-resample-unknown", kind: .images, setup: { w in
            try w.copy("vit-tiny", as: "m")
            try w.json("m/preprocessor_config.json") { $0["resample"] = 99 }
        }, run: .args(["predict", "--model", "m", "--image", image]), outcomes: fails(1, "resample 99 is not supported")),
        Case(name: "preprocessor-not-json", kind: .images, setup: { w in
            try w.copy("vit-tiny", as: "m")
            try w.write("m/preprocessor_config.json", "{bad")
        }, run: .args(["predict", "--model", "m", "--image", image]), outcomes: fails(1, "preprocessor_config.json")),
    ]

    nonisolated(unsafe) static let options: [Case] = [
        option("predict-top-k-0", 2, ["predict", "--model", tiny, "--ids", "1", "--top-k", "0"], "--top-k must be at least 1, got 0"),
        option("threads-0", 2, ["predict", "--model", tiny, "--ids", "1", "--threads", "0"], "--threads must be at least 1, got 0"),
        option("threads-not-a-number", 2, ["info", "--model", tiny, "--threads", "abc"], "'abc'", "--threads"),
        option("discard-ratio-1", 2, ["explain", "--model", tiny, "--ids", "1,2", "--method", "rollout", "--discard-ratio", "1"] + draw,
               "--discard-ratio must be in [0, 1)"),
        option("factor-2", 2, ["explain", "--model", tiny, "--ids", "1,2", "--method", "atman", "--factor", "2"] + draw, "--factor must be in [0, 1]"),
        option("kappa-2", 2, ["explain", "--model", tiny, "--ids", "1,2", "--method", "atman", "--kappa", "2"] + draw, "--kappa must be in [-1, 1]"),
        option("color-limit-0", 2, ["explain", "--model", tiny, "--ids", "1,2", "--color-limit", "0"] + draw, "--color-limit must be a positive number"),
        option("start-layer-99", 1, ["explain", "--model", tiny, "--ids", "1,2", "--method", "rollout", "--start-layer", "99"] + draw, "99", "0..<2"),
        option("neuron-count-0", 2, ["explain", "--model", tiny, "--ids", "1,2", "--neurons", "--neuron-count", "0"] + draw, "--neuron-count"),
        option("explain-position-9", 1, ["explain", "--model", tiny, "--ids", "1,2", "--position", "9"] + draw, "--position 9 is outside the input"),
        option("contrast-is-target", 2, ["explain", "--model", tiny, "--ids", "1,2", "--target-id", "1", "--contrast-id", "1"] + draw,
               "--contrast is the explained target itself"),
        option("attention-layer-99", 1, ["attention", "--model", tiny, "--ids", "1,2", "--layer", "99"] + draw, "layer 99 is outside 0..<2"),
        option("attention-head-99", 1, ["attention", "--model", tiny, "--ids", "1,2", "--layer", "0", "--head", "99"] + draw, "head 99 is outside 0..<4"),
        option("attention-query-99", 1, ["attention", "--model", tiny, "--ids", "1,2", "--view", "lines", "--query", "99"] + draw,
               "--query 99 is outside the input (0..<2)"),
        option("attention-tile-0", 2, ["attention", "--model", tiny, "--ids", "1,2", "--tile", "0"] + draw, "--tile must be at least 1"),
        option("lens-target-id-99999", 1, ["lens", "--model", tiny, "--ids", "1,2", "--target-id", "99999"] + draw, "99999", "0..<128"),
        option("project-layer-99", 1, ["project", "--model", tiny, "--layer", "99", "--head", "0"] + draw, "layer 99 is outside 0..<2"),
        option("project-head-99", 1, ["project", "--model", tiny, "--layer", "0", "--head", "99"] + draw, "head 99 is outside 0..<4"),
        option("project-neuron-99999", 1, ["project", "--model", tiny, "--layer", "0", "--neuron", "99999"] + draw, "neuron 99999 is outside 0..<128"),
        option("neurons-layer-99", 1, ["neurons", "--model", tiny, "--layer", "99", "--neuron", "1"] + draw, "layer 99 is outside 0..<2"),
        option("neurons-position-9", 1, ["neurons", "--model", tiny, "--layer", "0", "--ids", "1,2", "--position", "9"] + draw, "position 9"),
        option("neurons-nothing-to-do", 2, ["neurons", "--model", tiny, "--layer", "0"] + draw, "give a prompt or --ids"),
        option("unknown-option", 2, ["info", "--model", tiny, "--bogus"], "Unknown option '--bogus'"),
        // ArgumentParser validates before it reports unused input: `3` becomes a second input.
        option("unknown-option-before-value", 2, ["tokenize", "--model", tiny, "--ids", "1,2", "--bogus", "3"], "Unknown option '--bogus'"),
        option("unknown-option-with-equals", 2, ["predict", "--model", tiny, "--ids", "1,2", "--bogus=3", "x"], "Unknown option '--bogus'"),
        option("negated-flag-is-known", 2, ["tokenize", "--model", tiny, "--no-special-tokens", "--ids", "1", "x"], "give one input"),
        option("unknown-command", 2, ["frobnicate"], "'frobnicate'"),
        option("render-color-limit-0", 2, ["render", "x.json", "--color-limit", "0"], "--color-limit must be a positive number"),
    ]
}
