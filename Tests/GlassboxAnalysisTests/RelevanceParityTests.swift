import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// AttnLRP, CP-LRP and gradient × input against LXT 2.1 (`lxt.efficient.monkey_patch` with its
/// default maps; ViT: `vit_torch.cp_LRP` + zennit Gamma on a torchvision copy of the weights), as
/// written by scripts/fixtures/generate_lrp.py into Tests/Fixtures/relevance. Per input and per
/// relevance vector: max|ΔR| / max|R| ≤ 1e-3 and Pearson ≥ 0.9999 (docs/methods.md §2.9 item 6).
final class RelevanceParityTests: XCTestCase {
    static let relevanceFolder = Fixtures.root.appendingPathComponent("Tests/Fixtures/relevance")
    static let maxRelative: Float = 1e-3
    static let minPearson = 0.9999

    func testEveryFixtureModelHasReferences() throws {
        let models = try FileManager.default.contentsOfDirectory(atPath: Fixtures.models.path)
        let references = Set(try FileManager.default.contentsOfDirectory(atPath: Self.relevanceFolder.path))
        for model in models { XCTAssertTrue(references.contains(model), "no LXT reference for \(model)") }
        XCTAssertTrue(references.contains("all-MiniLM-L6-v2"))
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

    /// Compares every reference case of one model; returns one summary line per method.
    func checkModel(_ name: String, folder: URL) throws -> [String] {
        let model = try TransformerModel.load(directory: folder)
        let cases = try FileManager.default.contentsOfDirectory(atPath: Self.relevanceFolder.appendingPathComponent(name).path)
            .filter { $0.hasSuffix(".safetensors") }.sorted()
        XCTAssertFalse(cases.isEmpty, "\(name): no reference cases")
        var worst: [String: (relative: Float, pearson: Double, count: Int)] = [:]
        for file in cases {
            let reference = try ReferenceCase(url: Self.relevanceFolder.appendingPathComponent("\(name)/\(file)"), model: name)
            for (key, options) in reference.methods(for: model) {
                let label = "\(name)/\(reference.caseName) \(key)"
                let result = try Relevance.explain(model, reference.input, target: reference.target, options: options)
                let prefix = key == "attnlrp-vit" ? "cplrp" : key
                XCTAssertEqual(Double(result.target.value), Double(try reference.scalar("\(prefix).value")),
                               accuracy: 1e-4 * max(1, abs(Double(result.target.value))), "\(label): explained value")
                var pairs: [(String, [Float], [Float]?)] = [
                    ("tokens", result.tokens, try reference.vector("\(prefix).tokens")),
                    ("positions", result.positions ?? [], try reference.vector("\(prefix).positions")),
                    ("types", result.tokenTypes ?? [], try reference.vector("\(prefix).types")),
                    ("heads", result.heads.storage, try reference.vector("\(prefix).heads")),
                    ("neurons", result.neurons.storage, try reference.vector("\(prefix).neurons")),
                    ("layers", result.layers.storage, try reference.vector("\(prefix).layers")),
                ]
                if let pixels = result.pixels { pairs.append(("pixels", pixels.storage, try reference.vector("\(prefix).pixels"))) }
                for (what, ours, theirs) in pairs {
                    guard let theirs else { continue }
                    let (relative, pearson) = RelevanceMetrics.compare(ours, theirs)
                    XCTAssertLessThanOrEqual(relative, Self.maxRelative, "\(label) \(what): max|ΔR|/max|R| \(relative)\n" +
                                             RelevanceMetrics.sideBySide(ours, theirs))
                    if let pearson {
                        XCTAssertGreaterThanOrEqual(pearson, Self.minPearson, "\(label) \(what): Pearson \(pearson)")
                    }
                    let group = ["heads", "neurons", "layers"].contains(what) ? "\(key) latents" : "\(key) inputs"
                    let old = worst[group] ?? (0, 1, 0)
                    worst[group] = (max(old.relative, relative), min(old.pearson, pearson ?? 1), old.count + (what == "tokens" || what == "layers" ? 1 : 0))
                }
            }
        }
        return worst.keys.sorted().map { key in
            let w = worst[key]!
            return String(format: "%@ %@: %d cases, max|ΔR|/max|R| %.1e, 1 − min Pearson %.1e", name, key, w.count, w.relative, 1 - w.pearson)
        }
    }
}

/// One reference file: its input, target and the reference tensors.
struct ReferenceCase {
    let file: SafetensorsFile
    let caseName: String
    let input: ModelInput
    let target: RelevanceTarget
    let gamma: (convolution: Float, linear: Float)?

    init(url: URL, model: String) throws {
        file = try SafetensorsFile(url: url)
        caseName = file.metadata["case"] ?? url.lastPathComponent
        let inputCase = file.metadata["input_case"] ?? ""
        input = try Self.input(model: model, case: inputCase, ids: file.metadata["input_ids"] ?? "[]")
        let spec = try JSONSerialization.jsonObject(with: Data((file.metadata["target"] ?? "{}").utf8)) as? [String: Any] ?? [:]
        let ids = spec["ids"] as? [Int] ?? []
        let position = spec["position"] as? Int
        switch spec["objective"] as? String {
        case "contrastive": target = .init(.contrastive(ids), position: position)
        case "contrast": target = .contrast(ids[0], minus: ids[1], position: position)
        case "similarity":
            let other = try Self.input(model: model, case: spec["compare"] as? String ?? "",
                                       ids: Self.jsonIDs(spec["compare_ids"]) ?? "[]")
            target = .similarity(to: other, measure: SimilarityMeasure(rawValue: spec["measure"] as? String ?? "") ?? .cosine)
        default: target = .tokens(ids, position: position)
        }
        if let g = file.metadata["gamma"], let object = try JSONSerialization.jsonObject(with: Data(g.utf8)) as? [String: Double] {
            gamma = (Float(object["conv"] ?? 0), Float(object["linear"] ?? 0))
        } else {
            gamma = nil
        }
    }

    private static func jsonIDs(_ value: Any?) -> String? {
        guard let ids = value as? [Int] else { return nil }
        return "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    /// Token ids from the metadata, or (vision) the golden's pixel tensor.
    static func input(model: String, case inputCase: String, ids: String) throws -> ModelInput {
        let golden = Fixtures.goldens.appendingPathComponent("\(model)/\(inputCase).safetensors")
        var ids = ids
        if FileManager.default.fileExists(atPath: golden.path) {
            let file = try SafetensorsFile(url: golden)
            if file.entry("pixel_values") != nil { return .pixels(try file.tensor("pixel_values")) }
            ids = file.metadata["input_ids"] ?? ids
        }
        let list = (try JSONSerialization.jsonObject(with: Data(ids.utf8)) as? [Int]) ?? []
        return .tokens(list, types: nil)
    }

    /// The methods in the file, as options (ViT: LXT's one map is compared with both AttnLRP and CP-LRP).
    func methods(for model: TransformerModel) -> [(String, RelevanceOptions)] {
        let names = Set(file.tensorNames.compactMap { $0.split(separator: ".").first.map(String.init) })
        var out: [(String, RelevanceOptions)] = []
        let g = gamma ?? (0.25, 0.05)
        func options(_ m: RelevanceMethod) -> RelevanceOptions { .init(method: m, convolutionGamma: g.convolution, linearGamma: g.linear) }
        if names.contains("attnlrp") { out.append(("attnlrp", options(.attnLRP))) }
        if names.contains("cplrp") {
            out.append(("cplrp", options(.cpLRP)))
            if model.architecture.image != nil { out.append(("attnlrp-vit", options(.attnLRP))) }
        }
        if names.contains("gxi") { out.append(("gxi", options(.gradientTimesInput))) }
        return out
    }

    func vector(_ name: String) throws -> [Float]? {
        file.entry(name) == nil ? nil : try file.tensor(name).storage
    }

    func scalar(_ name: String) throws -> Float { try file.tensor(name).storage[0] }
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
