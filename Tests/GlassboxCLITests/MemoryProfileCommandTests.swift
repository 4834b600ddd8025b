import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The estimate each command prints when a run would not fit, against the profile of what the run
/// keeps (docs/benchmarks.md, "Memory estimates against runs"): rollout and flow count their fused
/// `[n, n]` matrices, not every hook (3.5 GB estimated against a 0.67 GB peak at 1,024 tokens on a
/// GPT-2-small shape); `evaluate` counts the largest of the methods it runs, not every hook as soon
/// as one attention-based method is among them.
final class MemoryProfileCommandTests: XCTestCase {
    private let long = "Tests/Fixtures/models/gpt2-long"   // 2 layers, 2 heads, d 16, 2,048 positions

    /// `this run needs about X, Y available; …` for `estimate` and `available` bytes, as
    /// `MemoryCheckError` words it: the need rounded up, what is available rounded down.
    private func refusal(_ estimate: MemoryEstimate, available: Int = 1) -> String {
        func size(_ bytes: Int, _ rule: FloatingPointRoundingRule) -> String {
            bytes >= 1_000_000_000 ? String(format: "%.1f GB", (Double(bytes) / 1e8).rounded(rule) / 10)
                : String(format: "%.0f MB", (Double(bytes) / 1e6).rounded(rule))
        }
        return "glassbox: error: this run needs about \(size(estimate.total, .up)), \(size(available, .down)) available; "
            + "shorten the input, close other programs, or pass --force to try anyway\n"
    }

    private func environment(available: Int) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["GLASSBOX_MEMAVAILABLE_BYTES"] = "\(available)"
        return environment
    }

    private func ids(_ n: Int) -> String { (0..<n).map { "\(($0 * 7 + 3) % 128)" }.joined(separator: ",") }

    func testRolloutAndFlowCountTheirMatricesNotEveryHook() throws {
        let model = try TransformerModel.load(directory: URL(fileURLWithPath: long))
        let n = 2000, layers = model.architecture.layers
        let rollout = MemoryEstimate(model: model, tokens: n, profile: .rollout(layers: layers, flow: false))
        let cached = MemoryEstimate(model: model, tokens: n, profile: .cachedForward)
        XCTAssertLessThan(rollout.total + 50_000_000, cached.total, "every hook's [H, n, n] scores and patterns are far more")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-memory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // A PDF: the picture is not drawn on a pixel surface, so the estimate is the profile's alone.
        let base = ["explain", "--model", long, "--ids", ids(n), "--json", "--out", folder.appendingPathComponent("r.pdf").path]
        let refused = try runGlassbox(base + ["--method", "rollout"], environment: environment(available: 1))
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertEqual(refused.stderr, refusal(rollout))
        // --start-layer 1 keeps one matrix fewer.
        let fromOne = MemoryEstimate(model: model, tokens: n, profile: .rollout(layers: layers - 1, flow: false))
        XCTAssertEqual(fromOne.activations, rollout.activations - 4 * n * n)
        // Flow adds its graph: an edge and its reverse per causal weight, n(n+1)/2 a layer.
        let flow = MemoryEstimate(model: model, tokens: n, profile: .rollout(layers: layers, flow: true))
        XCTAssertEqual(flow.activations - rollout.activations, 4 * 32 * layers * n * (n + 1) / 2)
        let refusedFlow = try runGlassbox(base + ["--method", "flow"], environment: environment(available: 1))
        XCTAssertEqual(refusedFlow.stderr, refusal(flow))
        // One byte short: the need prints larger than what is available (it printed the same
        // number twice, `243 MB, 243 MB available`, when both rounded to the nearest megabyte).
        let short = try runGlassbox(base + ["--method", "rollout"], environment: environment(available: rollout.total - 1))
        XCTAssertEqual(short.status, 1, short.stderr)
        XCTAssertEqual(short.stderr, refusal(rollout, available: rollout.total - 1))
        let printed = short.stderr.split(separator: " ").compactMap { Int($0) }
        XCTAssertEqual(printed.count, 2, short.stderr)
        XCTAssertGreaterThan(printed[0], printed[1], short.stderr)
        // A run that fits its own estimate, though not every hook's, runs.
        let fits = try runGlassbox(base + ["--method", "rollout"], environment: environment(available: rollout.total + 1_000_000))
        XCTAssertEqual(fits.status, 0, fits.stderr)
        XCTAssertLessThan(rollout.total + 1_000_000, cached.total)
    }

    /// A token strip drawn as a PNG needs its pixel surface (2,008 × 31,656 pixels for 16k tokens,
    /// 254 MB, more than the analysis): the estimate adds `TokenStrip.pngBytesBound` and the
    /// refusal names it; the same run written as a PDF, or as a `--top K` view, does not.
    func testAPNGStripCountsItsPixelSurface() throws {
        let model = try TransformerModel.load(directory: URL(fileURLWithPath: long))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-memory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let n = 1000
        let analysis = MemoryEstimate(model: model, tokens: n, profile: .rollout(layers: model.architecture.layers, flow: false))
        let picture = TokenStrip.pngBytesBound(tokens: n + 1)
        XCTAssertEqual(picture, 4 * Int((Double(n + 1) * 2_000 + 240_000) * 4), "2,000 square points a token and the frame, at 2 pixels per point")
        func run(_ out: String, _ extra: [String] = [], available: Int) throws -> CommandOutput {
            try runGlassbox(["explain", "--model", long, "--ids", ids(n), "--method", "rollout",
                             "--out", folder.appendingPathComponent(out).path] + extra,
                            environment: environment(available: available))
        }
        // The picture is named (and a PDF suggested) only when the run would fit without it.
        let png = try run("s.png", available: analysis.total + 1)
        XCTAssertEqual(png.status, 1)
        XCTAssertTrue(png.stderr.contains(String(format: "(%.0f MB of it to draw the PNG)", Double(picture) / 1e6)), png.stderr)
        XCTAssertTrue(png.stderr.contains("write a .pdf or .svg, draw the highest-scoring tokens (--top K)"), png.stderr)
        // Between the analysis alone and the analysis with the picture: the PNG is refused, a PDF
        // and a --top view run.
        let between = analysis.total + picture / 2
        XCTAssertEqual(try run("s.png", available: between).status, 1)
        let pdf = try run("s.pdf", available: between)
        XCTAssertEqual(pdf.status, 0, pdf.stderr)
        let none = try run("s.png", available: 1)
        XCTAssertEqual(none.stderr, refusal(MemoryEstimate(weights: analysis.weights, activations: analysis.activations + picture,
                                                           program: analysis.program)))
        let top = try run("t.png", ["--top", "5"], available: between)
        XCTAssertEqual(top.status, 0, top.stderr)
        // A long --top list is a tall PNG too (600 lines: 779 × 15,802 points measured), and counted.
        let list = TopTokens.pngBytesBound(lines: 600)
        XCTAssertGreaterThan(list, picture, "600 lines of 13 chips take more than the 1,000-token strip")
        let refusedList = try run("t.png", ["--top", "600"], available: between)
        XCTAssertEqual(refusedList.status, 1)
        XCTAssertTrue(refusedList.stderr.contains(String(format: "(%.0f MB of it to draw the PNG)", Double(list) / 1e6)), refusedList.stderr)
        let drawnList = try run("t.png", ["--top", "600"], available: analysis.total + list + 1_000_000)
        XCTAssertEqual(drawnList.status, 0, drawnList.stderr)
        let listHeader = try Data(contentsOf: folder.appendingPathComponent("t.png")).prefix(24)
        let listPixels = listHeader[16..<20].reduce(0) { $0 << 8 | Int($1) } * listHeader[20..<24].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertLessThanOrEqual(4 * listPixels, list)
        // The bound holds the surface actually drawn.
        let drawn = try run("s.png", available: analysis.total + picture + 1_000_000)
        XCTAssertEqual(drawn.status, 0, drawn.stderr)
        let header = try Data(contentsOf: folder.appendingPathComponent("s.png")).prefix(24)
        let width = header[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = header[20..<24].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertGreaterThan(width * height, 1_000_000, "a real strip was drawn")
        XCTAssertLessThanOrEqual(4 * width * height, picture)
    }

    /// `batch --pictures` draws each input's strip as a PNG: every worker running at once holds its
    /// activations and its picture's surface, so the gate adds the strip's bound per worker, as
    /// `explain` adds it once; without `--pictures` the same batch runs.
    func testBatchPicturesCountEachWorkersPNGSurface() throws {
        let model = try TransformerModel.load(directory: URL(fileURLWithPath: long))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-memory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let n = 1000, workers = 2
        let analysis = MemoryEstimate(model: model, tokens: n, profile: .rollout(layers: model.architecture.layers, flow: false))
        let picture = TokenStrip.pngBytesBound(tokens: n + 1)
        let inputs = folder.appendingPathComponent("in.jsonl")
        try "{\"id\": 0, \"ids\": [\(ids(n))]}\n{\"id\": 1, \"ids\": [\(ids(n))]}\n"
            .write(to: inputs, atomically: true, encoding: .utf8)
        // Room for both workers' activations and one picture, not two.
        let withoutPictures = analysis.weights + analysis.program + workers * analysis.activations
        let available = withoutPictures + picture
        func run(_ name: String, pictures: Bool) throws -> (CommandOutput, [String]) {
            let out = folder.appendingPathComponent("\(name).jsonl")
            let result = try runGlassbox(["batch", "--model", long, "--in", inputs.path, "--out", out.path,
                                          "--workers", "\(workers)"]
                                         + (pictures ? ["--pictures", folder.appendingPathComponent(name).path] : [])
                                         + ["--method", "rollout"], environment: environment(available: available))
            let lines = (try? String(contentsOf: out, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
            return (result, lines)
        }
        let (plain, plainLines) = try run("plain", pictures: false)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plainLines.count, 2)
        XCTAssertFalse(plainLines.contains { $0.contains("\"error\"") }, plainLines.joined())
        let (drawn, drawnLines) = try run("drawn", pictures: true)
        XCTAssertEqual(drawn.status, 1, drawn.stderr)
        XCTAssertEqual(drawnLines.count, 2)
        let needed = MemoryEstimate(weights: analysis.weights, activations: workers * (analysis.activations + picture),
                                    program: analysis.program).total
        for line in drawnLines {
            XCTAssertTrue(line.contains(String(format: "this run needs about %.0f MB (%.0f MB of it to draw the PNGs of --pictures)",
                                               (Double(needed) / 1e6).rounded(.up), Double(workers * picture) / 1e6)), line)
            // What a batch can change: not a .pdf, which --pictures never writes.
            XCTAssertTrue(line.contains("leave out --pictures, run fewer --workers"), line)
            XCTAssertFalse(line.contains(".pdf"), line)
            XCTAssertFalse(line.contains("\"picture\""), line)
        }
        let pictures = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("drawn").path)
        XCTAssertEqual(pictures, [], "nothing drawn")
    }

    func testEvaluateCountsTheLargestOfItsMethods() throws {
        let model = try TransformerModel.load(directory: URL(fileURLWithPath: long))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-memory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let n = 1000, layers = model.architecture.layers
        let prompts = folder.appendingPathComponent("p.jsonl")
        try "{\"ids\": [\(ids(n))]}\n".write(to: prompts, atomically: true, encoding: .utf8)
        func estimate(_ profile: MemoryEstimate.Profile) -> MemoryEstimate { MemoryEstimate(model: model, tokens: n, profile: profile) }
        let rollout = estimate(.rollout(layers: layers, flow: false)), attention = estimate(.attentionPatterns(layers: 1))
        let perturbation = estimate(.storedActivations(perLayer: 2, stackedRows: SuffixOptions().rowBudget))
        let cached = estimate(.cachedForward)
        let largest = [rollout, attention, perturbation].max { $0.total < $1.total }!
        XCTAssertLessThan(largest.total + 10_000_000, cached.total, "every hook would be counted without the fix")
        let base = ["evaluate", "--model", long, "--prompts", prompts.path, "--out", folder.appendingPathComponent("e.png").path]
        let refused = try runGlassbox(base + ["--methods", "rollout,attention"], environment: environment(available: 1))
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertEqual(refused.stderr, refusal(largest))
        // With a Chefer method among them, every hook is what the largest keeps.
        let chefer = try runGlassbox(base + ["--methods", "rollout,gae"], environment: environment(available: 1))
        XCTAssertEqual(chefer.stderr, refusal(cached))
        // --randomization adds the Float32 copy of every block's linear maps it redraws.
        let copy = 4 * model.weights.blockLinearParameterCount
        let a = model.architecture
        XCTAssertEqual(copy, 4 * a.layers * (4 * (a.dModel * a.dModel + a.dModel) + 2 * a.dModel * a.dFF + a.dFF + a.dModel))
        let randomized = try runGlassbox(base + ["--methods", "rollout,attention", "--randomization", "1"], environment: environment(available: 1))
        XCTAssertEqual(randomized.stderr, refusal(MemoryEstimate(weights: largest.weights + copy, activations: largest.activations,
                                                                 program: largest.program)))
    }

    /// The program itself is counted once beside the weights, whatever the profile.
    func testTheProgramIsCountedOnce() throws {
        let model = try TransformerModel.load(directory: URL(fileURLWithPath: "Tests/Fixtures/models/gpt2-tiny"))
        let estimate = MemoryEstimate(model: model, tokens: 3, profile: .forward)
        XCTAssertEqual(estimate.program, MemoryEstimate.programBytes)
        XCTAssertEqual(estimate.total, model.weights.residentBytes + MemoryEstimate.programBytes + estimate.activations)
        XCTAssertEqual(MemoryEstimate(weights: 10, activations: 5).total, 15)
    }
}
