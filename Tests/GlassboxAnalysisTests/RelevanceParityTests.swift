import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// AttnLRP, CP-LRP and gradient × input against LXT 2.1 (`lxt.efficient.monkey_patch` with its
/// default maps; ViT: AttnLRP as LXT's efficient rules patched into transformers' ViT, CP-LRP as
/// LXT's `vit_torch.cp_LRP` map on a torchvision copy of the weights, both with zennit's Gamma), as
/// written by scripts/fixtures/generate_lrp.py into Tests/Fixtures/relevance. Per input and per
/// relevance vector: max|ΔR| / max|R| ≤ 1e-3 and Pearson ≥ 0.9999 (docs/methods.md §2.9 item 6).
///
/// Nothing is skipped: a model without references, a golden input without its reference case, a
/// method or a result vector missing from a reference file, an unread metadata entry or a missing
/// golden input fails and names what is missing.
final class RelevanceParityTests: XCTestCase {
    static let relevanceFolder = Fixtures.root.appendingPathComponent("Tests/Fixtures/relevance")
    static let maxRelative: Float = 1e-3
    static let minPearson = 0.9999
    /// The methods of every reference file (generate_lrp.py's `METHODS`), by their key prefix.
    static let methods: [(key: String, method: RelevanceMethod)] = [
        ("attnlrp", .attnLRP), ("cplrp", .cpLRP), ("gxi", .gradientTimesInput),
    ]

    func testEveryFixtureModelHasReferences() throws {
        let models = try FileManager.default.contentsOfDirectory(atPath: Fixtures.models.path).sorted()
        let references = Set(try FileManager.default.contentsOfDirectory(atPath: Self.relevanceFolder.path))
        for model in models + ["all-MiniLM-L6-v2"] {
            guard references.contains(model) else {
                XCTFail("no LXT references for \(model): Tests/Fixtures/relevance/\(model) is missing; run scripts/fixtures/generate_lrp.py --only \(model)")
                continue
            }
            let cases = Set(try Self.referenceCases(model))
            for golden in try Fixtures.goldenCases(model) where !cases.contains(golden.name + ".safetensors") {
                XCTFail("\(model): golden input \(golden.name) has no LXT reference \(model)/\(golden.name).safetensors; run scripts/fixtures/generate_lrp.py --only \(model)")
            }
        }
        for stale in references.subtracting(models + ["all-MiniLM-L6-v2"]) {
            XCTFail("Tests/Fixtures/relevance/\(stale) has no fixture model")
        }
    }

    /// ViT references cover γ = 0 (the Gamma rule is then the gradient) and a large γ besides the default.
    func testViTReferencesCoverTheGammas() throws {
        for model in ["vit-tiny", "vit-odd"] {
            let gammas = try Self.referenceCases(model).map {
                try ReferenceCase(url: Self.relevanceFolder.appendingPathComponent("\(model)/\($0)"), model: model, vision: true).gamma
            }
            XCTAssertTrue(gammas.contains { $0?.convolution == 0 && $0?.linear == 0 }, "\(model): no reference with γ = 0")
            XCTAssertTrue(gammas.contains { ($0?.convolution ?? 0) > 1 && ($0?.linear ?? 0) >= 1 }, "\(model): no reference with a large γ")
            XCTAssertTrue(gammas.contains { $0?.convolution == 0.25 && $0?.linear == 0.05 }, "\(model): no reference with the default γ")
        }
    }

    func testFixtureModelsMatchLXT() throws {
        let models = try FileManager.default.contentsOfDirectory(atPath: Fixtures.models.path).sorted()
        for name in models {
            print(try checkModel(name, folder: Fixtures.model(name)).joined(separator: "\n"))
        }
    }

    func testRealMiniLMMatchesLXT() throws {
        let folder = Fixtures.cachedModels.appendingPathComponent("all-MiniLM-L6-v2")
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) else {
            if Fixtures.realModelsRequired {
                XCTFail("MiniLM is required (GLASSBOX_REQUIRE_REAL_MODELS=1) but \(folder.path) is missing; run scripts/fetch-minilm.sh")
                return
            }
            throw XCTSkip("MiniLM not fetched; run scripts/fetch-minilm.sh")
        }
        print(try checkModel("all-MiniLM-L6-v2", folder: folder).joined(separator: "\n"))
    }

    /// The reference files of one model, sorted.
    static func referenceCases(_ model: String) throws -> [String] {
        try referenceCases(in: relevanceFolder.appendingPathComponent(model))
    }

    /// The reference files in `folder`, sorted.
    static func referenceCases(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".safetensors") }.sorted()
    }

    /// Compares every reference case of one model; returns one summary line per method and kind of
    /// vector (inputs: tokens, positions, types, pixels; heads; neurons and layers). `references`
    /// (default Tests/Fixtures/relevance/<name>) holds the cases, whose golden inputs are
    /// `inputsOf`'s (default `name`).
    func checkModel(_ name: String, folder: URL, references: URL? = nil, inputsOf fixture: String? = nil) throws -> [String] {
        let model = try TransformerModel.load(directory: folder)
        let referenceFolder = references ?? Self.relevanceFolder.appendingPathComponent(name)
        let cases = try Self.referenceCases(in: referenceFolder)
        XCTAssertFalse(cases.isEmpty, "\(name): no reference cases in \(referenceFolder.path)")
        var worst: [String: (relative: Float, pearson: Double, count: Int)] = [:]
        for file in cases {
            let reference = try ReferenceCase(url: referenceFolder.appendingPathComponent(file), model: fixture ?? name,
                                              vision: model.architecture.image != nil)
            let regenerate = "regenerate with scripts/fixtures/generate_lrp.py --only \(name)"
            let known = Set(Self.methods.map(\.key))
            for unknown in reference.methodKeys.subtracting(known).sorted() {
                XCTFail("\(name)/\(file): unknown method \(unknown) in the reference (known: \(known.sorted().joined(separator: ", ")))")
            }
            for (key, method) in Self.methods {
                let label = "\(name)/\(reference.caseName) \(key)"
                let result = try Relevance.explain(model, reference.input, target: reference.target, options: reference.options(method))
                var pairs: [(String, [Float])] = [("tokens", result.tokens), ("heads", result.heads.storage),
                                                  ("neurons", result.neurons.storage), ("layers", result.layers.storage)]
                if let positions = result.positions { pairs.append(("positions", positions)) }
                if let types = result.tokenTypes { pairs.append(("types", types)) }
                if let pixels = result.pixels { pairs.append(("pixels", pixels.storage)) }
                let expected = Set(pairs.map { "\(key).\($0.0)" } + ["\(key).value"])
                let present = Set(reference.file.tensorNames.filter { $0.hasPrefix(key + ".") })
                for missing in expected.subtracting(present).sorted() {
                    XCTFail("\(label): the reference \(name)/\(file) has no \(missing); \(regenerate)")
                }
                for extra in present.subtracting(expected).sorted() {
                    XCTFail("\(label): the reference's \(extra) has no Glassbox counterpart (\(name)/\(file))")
                }
                if present.contains("\(key).value") {
                    XCTAssertEqual(Double(result.target.value), Double(try reference.file.tensor("\(key).value").storage[0]),
                                   accuracy: 1e-4 * max(1, abs(Double(result.target.value))), "\(label): explained value")
                }
                for (what, ours) in pairs where present.contains("\(key).\(what)") {
                    let theirs = try reference.file.tensor("\(key).\(what)").storage
                    if what == "tokens", RelevanceMetrics.tokensVanish(model, method) {
                        RelevanceMetrics.assertRoundingZero([ours, theirs], scale: result.layers.storage.map(abs).max() ?? 0,
                                                            "\(label) tokens")
                        continue
                    }
                    let (relative, pearson) = RelevanceMetrics.compare(ours, theirs)
                    XCTAssertLessThanOrEqual(relative, Self.maxRelative, "\(label) \(what): max|ΔR|/max|R| \(relative)\n" +
                                             RelevanceMetrics.sideBySide(ours, theirs))
                    if let pearson {
                        XCTAssertGreaterThanOrEqual(pearson, Self.minPearson, "\(label) \(what): Pearson \(pearson)")
                    }
                    let kind = what == "heads" ? "heads" : ["neurons", "layers"].contains(what) ? "neurons, layers" : "inputs"
                    let group = "\(key) \(kind)"
                    let old = worst[group] ?? (0, 1, 0)
                    worst[group] = (max(old.relative, relative), min(old.pearson, pearson ?? 1), old.count + 1)
                }
            }
        }
        return worst.keys.sorted().map { key in
            let w = worst[key]!
            return String(format: "%@ %@: %d vectors, max|ΔR|/max|R| %.1e, 1 − min Pearson %.1e", name, key, w.count, w.relative, 1 - w.pearson)
        }
    }
}

/// A reference file that cannot be read as generate_lrp.py writes them.
struct ReferenceProblem: Error, CustomStringConvertible {
    let description: String
}

/// One reference file: its input, target, ViT gammas and the reference tensors. Every metadata entry
/// it needs must be present and well-formed, and the golden inputs it names must exist.
struct ReferenceCase {
    let file: SafetensorsFile
    let caseName: String
    let input: ModelInput
    let target: RelevanceTarget
    /// Vision models: the Gamma γ of the patch convolution and of the linear layers (metadata `gamma`).
    let gamma: (convolution: Float, linear: Float)?

    init(url: URL, model: String, vision: Bool) throws {
        file = try SafetensorsFile(url: url)
        let source = "\(model)/\(url.lastPathComponent)"
        let metadata = file.metadata
        func meta(_ key: String) throws -> String {
            guard let value = metadata[key] else { throw ReferenceProblem(description: "\(source): no metadata entry \"\(key)\"") }
            return value
        }
        func json<T>(_ key: String, as: T.Type) throws -> T {
            let text = try meta(key)
            guard let value = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? T else {
                throw ReferenceProblem(description: "\(source): metadata \"\(key)\" is not a JSON \(T.self): \(text)")
            }
            return value
        }
        caseName = try meta("case")
        let inputCase = try meta("input_case")
        input = try Self.input(model: model, case: inputCase, referenceIDs: try json("input_ids", as: [Int].self), in: source)
        let spec = try json("target", as: [String: Any].self)
        func field<T>(_ key: String, _ type: T.Type) throws -> T {
            guard let value = spec[key] as? T else {
                throw ReferenceProblem(description: "\(source): the target has no \(T.self) \"\(key)\": \(spec)")
            }
            return value
        }
        switch try field("objective", String.self) {
        case "logits": target = .tokens(try field("ids", [Int].self), position: try field("position", Int.self))
        case "contrastive": target = .init(.contrastive(try field("ids", [Int].self)), position: try field("position", Int.self))
        case "contrast":
            let ids = try field("ids", [Int].self)
            guard ids.count == 2 else { throw ReferenceProblem(description: "\(source): a contrast needs two ids, got \(ids)") }
            target = .contrast(ids[0], minus: ids[1], position: try field("position", Int.self))
        case "similarity":
            let other = try Self.input(model: model, case: try field("compare", String.self), referenceIDs: nil, in: source)
            let measure = try field("measure", String.self)
            guard let m = SimilarityMeasure(rawValue: measure) else {
                throw ReferenceProblem(description: "\(source): unknown similarity measure \(measure)")
            }
            target = .similarity(to: other, measure: m)
        case let objective:
            throw ReferenceProblem(description: "\(source): unknown objective \(objective)")
        }
        if vision {
            let g = try json("gamma", as: [String: Double].self)
            guard let conv = g["conv"], let linear = g["linear"] else {
                throw ReferenceProblem(description: "\(source): metadata \"gamma\" needs conv and linear: \(g)")
            }
            gamma = (Float(conv), Float(linear))
        } else {
            gamma = nil
        }
    }

    /// The method prefixes of the file's tensors (`attnlrp`, `cplrp`, `gxi`).
    var methodKeys: Set<String> {
        Set(file.tensorNames.compactMap { $0.split(separator: ".").first.map(String.init) })
    }

    /// The options of `method` (on ViT with the file's gammas).
    func options(_ method: RelevanceMethod) -> RelevanceOptions {
        guard let gamma else { return .init(method: method) }
        return .init(method: method, convolutionGamma: gamma.convolution, linearGamma: gamma.linear)
    }

    /// The golden input `model/case` (pixels or token ids), which must exist; for token inputs the
    /// reference's own `input_ids`, when given, must be the golden's.
    static func input(model: String, case inputCase: String, referenceIDs: [Int]?, in source: String) throws -> ModelInput {
        let golden = Fixtures.goldens.appendingPathComponent("\(model)/\(inputCase).safetensors")
        guard FileManager.default.fileExists(atPath: golden.path) else {
            throw ReferenceProblem(description: "\(source): its golden input Tests/Fixtures/goldens/\(model)/\(inputCase).safetensors is missing")
        }
        let file = try SafetensorsFile(url: golden)
        if file.entry("pixel_values") != nil { return .pixels(try file.tensor("pixel_values")) }
        guard let text = file.metadata["input_ids"],
              let ids = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Int] else {
            throw ReferenceProblem(description: "\(source): the golden \(model)/\(inputCase) has neither pixel_values nor input_ids")
        }
        if let referenceIDs, referenceIDs != ids {
            throw ReferenceProblem(description: "\(source): input_ids \(referenceIDs) differ from the golden \(model)/\(inputCase)'s \(ids); regenerate the reference")
        }
        return .tokens(ids, types: nil)
    }
}

/// Parity metrics.
enum RelevanceMetrics {
    /// `max|a − b| / max|b|` and Pearson's r (nil below 3 values, or when `b` is constant up to
    /// rounding — std < 1e-4·max|b|, e.g. the per-layer totals of one token under CP-LRP, which all
    /// equal the logit — where r only measures float noise).
    static func compare(_ a: [Float], _ b: [Float]) -> (relative: Float, pearson: Double?) {
        guard a.count == b.count else { return (.infinity, nil) }
        let scale = b.map(abs).max() ?? 0
        let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        let relative = scale > 0 ? diff / scale : diff
        return (relative, pearson(a, b))
    }

    /// True when the gradient × input at the token rows is zero in exact arithmetic, so both sides
    /// hold only float rounding and `compare` would measure noise: a gradient sweep through an
    /// embedding LayerNorm fed by the token rows alone (BLOOM's `word_embeddings_layernorm`; no
    /// position or type rows): LayerNorm is invariant to shifting and scaling its input, so
    /// `Σ_k x_k ∂y/∂x_k = 0` per row. Such vectors are checked with `assertRoundingZero` instead.
    static func tokensVanish(_ model: TransformerModel, _ method: RelevanceMethod) -> Bool {
        let e = model.weights.embeddings
        return method == .gradientTimesInput && e.norm != nil && e.position == nil && e.tokenType == nil && e.patch == nil
    }

    /// `max|x| ≤ 1e-4 · scale` for each vector (`scale`: max |R| of the layer inputs, the relevance
    /// the vanishing vector is a rounding residue of).
    static func assertRoundingZero(_ vectors: [[Float]], scale: Float, _ label: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        for x in vectors {
            let largest = x.map(abs).max() ?? 0
            XCTAssertLessThanOrEqual(largest, 1e-4 * scale, "\(label): max|R| \(largest) is not rounding of \(scale)",
                                     file: file, line: line)
        }
    }

    static func pearson(_ a: [Float], _ b: [Float]) -> Double? {
        guard a.count >= 3 else { return nil }
        let n = Double(a.count)
        let ma = a.reduce(0.0) { $0 + Double($1) } / n, mb = b.reduce(0.0) { $0 + Double($1) } / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) {
            let (dx, dy) = (Double(x) - ma, Double(y) - mb)
            sab += dx * dy; saa += dx * dx; sbb += dy * dy
        }
        let scale = b.map { Double(abs($0)) }.max() ?? 0
        guard saa > 0, sbb > 0, (sbb / n).squareRoot() >= 1e-4 * scale else { return nil }
        return sab / (saa * sbb).squareRoot()
    }

    static func sideBySide(_ a: [Float], _ b: [Float]) -> String {
        "ours/LXT: " + zip(a, b).prefix(8).map { String(format: "%.5g/%.5g", Double($0), Double($1)) }.joined(separator: "  ")
    }
}
