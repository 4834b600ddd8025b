import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// The memory estimate before a run, with injected available-memory values (never the machine's).
final class MemoryEstimateTests: XCTestCase {
    func testParsesMemAvailable() {
        let text = "MemTotal:       24576000 kB\nMemFree:         1000 kB\nMemAvailable:   20480000 kB\nBuffers: 1 kB\n"
        XCTAssertEqual(AvailableMemory.parse(meminfo: text), 20_480_000 * 1024)
        XCTAssertNil(AvailableMemory.parse(meminfo: "MemTotal: 1 kB\n"))
        XCTAssertNil(AvailableMemory.parse(meminfo: "MemAvailable: lots kB\n"))
    }

    func testCheckRefusesWhatDoesNotFitAndSaysHowMuch() throws {
        let estimate = MemoryEstimate(weights: 16_000_000_000, activations: 2_500_000_000)
        XCTAssertNoThrow(try estimate.check(available: 20_000_000_000))
        XCTAssertNoThrow(try estimate.check(available: nil))
        XCTAssertThrowsError(try estimate.check(available: 12_000_000_000)) { error in
            XCTAssertEqual(error as? MemoryCheckError, .wouldNotFit(needed: 18_500_000_000, available: 12_000_000_000))
            XCTAssertTrue(error.localizedDescription.hasPrefix("this run needs about 18.5 GB, 12.0 GB available"),
                          error.localizedDescription)
        }
    }

    /// The need is rounded up and what is available down, so a refusal never prints the same size
    /// twice (74.2 MB needed with 74.1 MB available printed `74 MB, 74 MB available`).
    func testTheNeedAlwaysPrintsLargerThanWhatIsAvailable() {
        let cases: [(needed: Int, available: Int, printed: String)] = [
            (74_200_000, 74_100_000, "75 MB, 74 MB available"),
            (74_000_001, 74_000_000, "75 MB, 74 MB available"),
            (74_000_000, 73_999_999, "74 MB, 73 MB available"),
            (1_000_000_001, 999_999_999, "1.1 GB, 999 MB available"),
            (18_500_000_000, 12_000_000_000, "18.5 GB, 12.0 GB available"),
            (12_040_000_000, 12_010_000_000, "12.1 GB, 12.0 GB available"),
        ]
        for (needed, available, printed) in cases {
            let line = MemoryCheckError.wouldNotFit(needed: needed, available: available).localizedDescription
            XCTAssertTrue(line.hasPrefix("this run needs about " + printed + ";"), line)
        }
        let picture = MemoryCheckError.wouldNotFitWithPicture(needed: 74_200_000, available: 74_100_000, picture: 36_400_000)
        XCTAssertTrue(picture.localizedDescription.hasPrefix("this run needs about 75 MB (36 MB of it to draw the PNG), 74 MB available;"),
                      picture.localizedDescription)
    }

    func testWeightsCountInTheirStoredFormat() throws {
        // gpt2-tiny is f32 on disk: 4 bytes per parameter. The bundled Shakespeare model is f16:
        // its matrices take 2 bytes per element, and an f32 copy of them takes more.
        let tiny = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        XCTAssertEqual(tiny.weights.residentBytes, 4 * tiny.weights.parameterCount)
        let f16 = try TransformerModel.load(directory: Fixtures.root.appendingPathComponent("Sources/GlassboxDefaults/Models/shakespeare-gpt2"))
        XCTAssertEqual(f16.checkpointDTypes, ["F16"])
        let widened = f16.widenedToFloat32()
        XCTAssertEqual(widened.weights.residentBytes, 4 * f16.weights.parameterCount)
        XCTAssertLessThan(f16.weights.residentBytes, widened.weights.residentBytes * 6 / 10)
    }

    /// The profiles of the commands other than predict and explain: the lens's logits stay one
    /// chunk of positions (linear in n beyond it, not n · V); kept attention patterns grow as n²;
    /// the batched suffix engine's stacked rows are a fixed term.
    func testLensAttentionAndPatchingProfilesGrowAsTheirRunsDo() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let a = model.architecture
        func lens(_ n: Int) -> Int { MemoryEstimate(model: model, tokens: n, profile: .lens(states: a.layers + 1)).activations }
        // Past the chunk, doubling n adds the linear terms only: (states + one layer's tensors + logits) per position.
        let perPosition = 4 * ((a.layers + 1) * a.dModel + 4 * a.dModel + a.heads * a.headDim + 2 * a.kvHeads * a.headDim + 3 * a.dFF + a.vocabSize)
        XCTAssertEqual(lens(200_000) - lens(100_000), 100_000 * perPosition)
        func patterns(_ n: Int, _ layers: Int) -> Int { MemoryEstimate(model: model, tokens: n, profile: .attentionPatterns(layers: layers)).activations }
        XCTAssertEqual(patterns(1000, 2) - patterns(1000, 1), 4 * a.heads * 1000 * 1000, "one more layer's [H, n, n] float patterns")
        XCTAssertGreaterThan(patterns(2000, 0), 3 * patterns(1000, 0), "quadratic in n")
        let rowWidth = 4 * (4 * a.dModel + a.heads * a.headDim + 2 * a.kvHeads * a.headDim + 3 * a.dFF)
        XCTAssertEqual(MemoryEstimate(model: model, tokens: 10, profile: .storedActivations(perLayer: 8, stackedRows: 4096)).activations
                       - MemoryEstimate(model: model, tokens: 10, profile: .storedActivations(perLayer: 8, stackedRows: 0)).activations,
                       4096 * rowWidth)
    }

    func testActivationsGrowWithLengthAndCaching() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let short = MemoryEstimate(model: model, tokens: 16, profile: .forward)
        let long = MemoryEstimate(model: model, tokens: 512, profile: .forward)
        let cached = MemoryEstimate(model: model, tokens: 512, profile: .cachedForward)
        XCTAssertEqual(short.weights, model.weights.residentBytes)
        XCTAssertLessThan(short.activations, long.activations)
        XCTAssertLessThan(long.activations, cached.activations)
        // The cached forward keeps H·n² scores and patterns in every layer.
        let a = model.architecture
        XCTAssertGreaterThan(cached.activations, 4 * a.layers * 2 * a.heads * 512 * 512)
    }

    func testTheRelevanceSweepCountsWhatItKeeps() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("llama-gqa"))
        let a = model.architecture, n = 4096
        func sweep(_ c: Checkpointing, patterns: Bool = false, available: Int? = nil) -> Int {
            MemoryEstimate(model: model, tokens: n, profile: .relevanceSweep(checkpointing: c, patternsKept: patterns, available: available))
                .activations
        }
        let stored = Checkpointing.storedBytes(a, length: n, patternsKept: false)
        let oneLayer = stored / 4 / a.layers, logits = a.vocabSize
        // Stored: what the sweep keeps + two layers' worth of gradients + one logit row (×2).
        XCTAssertEqual(sweep(.off), 4 * (stored / 4 + 2 * oneLayer + 2 * logits))
        // Checkpointed: the layer inputs and one layer instead.
        XCTAssertEqual(sweep(.on), 4 * (a.layers * n * a.dModel + oneLayer + 2 * oneLayer + 2 * logits))
        XCTAssertLessThan(sweep(.on), sweep(.off))
        // Automatic follows the budget (a quarter of what is available).
        XCTAssertEqual(sweep(.automatic, available: 4 * stored), sweep(.off))
        XCTAssertEqual(sweep(.automatic, available: 4 * stored - 4), sweep(.on))
        // Kept patterns (unblocked attention) add 2·H·n² per layer.
        XCTAssertEqual(sweep(.off, patterns: true) - sweep(.off), 4 * 2 * a.heads * n * n * (a.layers + 2))
        // Far less than the cached forward of every hook and pattern.
        XCTAssertLessThan(sweep(.off), MemoryEstimate(model: model, tokens: n, profile: .cachedForward).activations)
    }
}
