import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `explain --method gae|chefer`, `--seed`, `--contrast`, `--compare`, `--heads` and `--neurons`
/// end to end: the CLI's numbers equal the library's, and the pictures show them.
final class ExplainRelevanceFlagsTests: XCTestCase {
    let odd = "Tests/Fixtures/models/gpt2-odd"
    let ids = [5, 8, 13, 21, 34]
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("flags") }

    /// Runs `explain --json` on `model` and returns the JSON object.
    private func explain(_ model: String, _ arguments: [String], picture: String = "p.png",
                         file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let output = try runGlassbox(["explain", "--model", model] + arguments
                                     + ["--json", "--out", folder.appendingPathComponent(picture).path])
        XCTAssertEqual(output.status, 0, output.stderr, file: file, line: line)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], output.stdout,
                             file: file, line: line)
    }

    private func idArguments(_ ids: [Int]) -> [String] { ["--ids", ids.map(String.init).joined(separator: ",")] }

    private func scores(_ json: [String: Any]) throws -> [Double] {
        try XCTUnwrap(json["tokens"] as? [[String: Any]]).map { try XCTUnwrap($0["score"] as? Double) }
    }

    private func targetID(_ json: [String: Any]) throws -> Int {
        try XCTUnwrap((json["target"] as? [String: Any])?["id"] as? Int)
    }

    private func parameters(_ json: [String: Any]) -> [String: String] { json["parameters"] as? [String: String] ?? [:] }

    private func extra(_ json: [String: Any]) -> [String: Any] { json["extra"] as? [String: Any] ?? [:] }

    private func assertEqual(_ actual: [Double], _ expected: [Float], accuracy: Double, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, "\(what): length", file: file, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            XCTAssertEqual(a, Double(e), accuracy: accuracy, "\(what) at \(i): \(actual) vs \(expected)", file: file, line: line)
        }
    }

    /// Guards against comparisons that pass because everything is ~0.
    private func assertNonTrivial(_ values: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertGreaterThan(values.map(abs).max() ?? 0, 1e-3, "\(what): scores are all about 0: \(values)", file: file, line: line)
    }

    private func load(_ name: String) throws -> TransformerModel { try TransformerModel.load(directory: Fixtures.model(name)) }

    // MARK: gae and chefer

    func testGAEAndCheferEqualTheLibraryOnACausalLM() throws {
        let model = try load("gpt2-odd")
        for method in ["gae", "chefer"] {
            let json = try explain(odd, idArguments(ids) + ["--method", method])
            let target = RelevanceTarget.token(try targetID(json), position: ids.count - 1)
            let expected = method == "gae"
                ? try GenericAttentionExplainability.explain(model, .tokens(ids, types: nil), target: target)
                : try TransformerAttribution.explain(model, .tokens(ids, types: nil), target: target)
            XCTAssertEqual(json["method"] as? String, method)
            XCTAssertEqual(parameters(json)["seed"], "logit")
            assertNonTrivial(try scores(json), method)
            assertEqual(try scores(json), expected.scores, accuracy: 1e-6, method)
            // Chefer et al.'s method is a gradient-weighted attention rollout, not an LRP map.
            let record = try JSONDecoder().decode(ExplanationRecord.self, from: JSONSerialization.data(withJSONObject: json))
            XCTAssertEqual(record.methodCaption, method == "gae" ? "GAE" : "Chefer et al. (∇A ⊙ R rollout)")
        }
    }

    /// AtMan's caption names the score the record holds: ΔCE by default, Δlogit for the library's
    /// `delta-logit` score.
    func testAtManCaptionNamesItsScore() throws {
        let json = try explain(odd, idArguments(ids) + ["--method", "atman"])
        var record = try JSONDecoder().decode(ExplanationRecord.self, from: JSONSerialization.data(withJSONObject: json))
        XCTAssertEqual(record.parameters["score"], "delta-ce")
        XCTAssertEqual(record.methodCaption, "AtMan ΔCE")
        record.parameters["score"] = "delta-logit"
        XCTAssertEqual(record.methodCaption, "AtMan Δlogit")
    }

    func testCheferAndGAEOnAClassifierTakeTheStartLayerAndContrast() throws {
        let model = try load("bert-cls")
        let input = [2, 20, 21, 22, 3]
        let tokens: ModelInput = .tokens(input, types: nil)
        let chefer = try explain("Tests/Fixtures/models/bert-cls", idArguments(input) + ["--method", "chefer", "--start-layer", "0"])
        let target = try targetID(chefer)
        XCTAssertNotEqual(target, 0)
        let expected = try TransformerAttribution.explain(model, tokens, target: .token(target), options: CheferOptions(startLayer: 0))
        assertNonTrivial(try scores(chefer), "chefer")
        assertEqual(try scores(chefer), expected.scores, accuracy: 1e-6, "chefer")
        XCTAssertEqual(parameters(chefer)["startLayer"], "0")

        // A class label as the contrast, resolved like --target.
        let gae = try explain("Tests/Fixtures/models/bert-cls", idArguments(input) + ["--method", "gae", "--contrast", "negative"])
        let expectedGAE = try GenericAttentionExplainability.explain(model, tokens, target: .contrast(target, minus: 0))
        assertNonTrivial(try scores(gae), "gae contrast")
        assertEqual(try scores(gae), expectedGAE.scores, accuracy: 1e-6, "gae contrast")
        XCTAssertEqual(parameters(gae)["seed"], "contrast")
        XCTAssertEqual(parameters(gae)["contrast"], "0")
        XCTAssertEqual(parameters(gae)["contrastText"], "negative")
    }

    func testGAEOnAViTGivesThePatchGrid() throws {
        let image = "Tests/Fixtures/images/rgb8-100x33.png"
        let json = try explain("Tests/Fixtures/models/vit-tiny", ["--image", image, "--method", "gae"])
        let model = try load("vit-tiny")
        let pixels = try ImagePreprocessor.load(directory: Fixtures.model("vit-tiny"))
            .pixelValues(try RGBImage.readPNG(Fixtures.root.appendingPathComponent(image)))
        let expected = try GenericAttentionExplainability.explain(model, .pixels(pixels), target: .token(try targetID(json)))
        let patches = try XCTUnwrap(extra(json)["patches"] as? [[Double]])
        let grid = try XCTUnwrap(expected.patchGrid)
        XCTAssertEqual(patches.count, grid.count)
        for (row, expectedRow) in zip(patches, grid) { assertEqual(row, expectedRow, accuracy: 1e-6, "gae patches") }
    }

    /// On a ViT, `attnlrp` is AttnLRP (÷4 into q and k) and `cp-lrp` CP-LRP (q, k detached), both with
    /// the Gamma rule, and the summary line, the JSON and the picture titles say so.
    func testLRPMethodsOnAViTSayWhatTheyCompute() throws {
        let vit = "Tests/Fixtures/models/vit-tiny", image = "Tests/Fixtures/images/rgb8-100x33.png"
        let model = try load("vit-tiny")
        let pixels = try ImagePreprocessor.load(directory: Fixtures.model("vit-tiny"))
            .pixelValues(try RGBImage.readPNG(Fixtures.root.appendingPathComponent(image)))
        var tokenScores: [[Double]] = []
        for (method, kind, scores, name) in [("attnlrp", RelevanceMethod.attnLRP, "uniform(÷4)", "AttnLRP"),
                                             ("cp-lrp", .cpLRP, "detached", "CP-LRP")] {
            let json = try explain(vit, ["--image", image, "--method", method])
            let p = parameters(json)
            XCTAssertTrue(p["rules"]?.contains("attentionScores=\(scores)") ?? false, "\(method): \(p)")
            XCTAssertTrue(p["rules"]?.contains("linear=gamma(0.05)") ?? false, "\(method): \(p)")
            XCTAssertEqual([p["convolutionGamma"], p["linearGamma"]], ["0.25", "0.05"])
            let expected = try Relevance.explain(model, .pixels(pixels), target: .token(try targetID(json)),
                                                 options: RelevanceOptions(method: kind))
            assertEqual(try self.scores(json), expected.tokens, accuracy: 1e-6, "\(method) scores")
            tokenScores.append(try self.scores(json))

            let record = try JSONDecoder().decode(ExplanationRecord.self, from: JSONSerialization.data(withJSONObject: json))
            XCTAssertEqual(record.methodCaption, "\(name) + Gamma")
            XCTAssertEqual(record.methodTitle, "\(name) + Gamma (γ 0.25 conv, 0.05 linear)")
            let table = try runGlassbox(["explain", "--model", vit, "--image", image, "--method", method,
                                         "--out", folder.appendingPathComponent("t.png").path])
            XCTAssertTrue(table.stdout.contains("with \(method) (Gamma: γ 0.25 conv, 0.05 linear)"), table.stdout)
        }
        XCTAssertGreaterThan(zip(tokenScores[0], tokenScores[1]).map { abs($0 - $1) }.max() ?? 0, 1e-3,
                             "attnlrp and cp-lrp must differ on a ViT")
        let text = try JSONDecoder().decode(ExplanationRecord.self, from: JSONSerialization.data(
            withJSONObject: try explain(odd, idArguments(ids))))
        XCTAssertEqual(text.methodTitle, "AttnLRP")
    }

    // MARK: seeds

    func testContrastIsTargetMinusContrast() throws {
        let model = try load("gpt2-odd")
        let input = Array(ids)
        for (method, kind) in [("attnlrp", RelevanceMethod.attnLRP), ("cp-lrp", .cpLRP), ("grad-input", .gradientTimesInput)] {
            // "," is id 1 in gpt2-odd's vocabulary: --contrast resolves text like --target.
            let byText = try explain(odd, idArguments(input) + ["--method", method, "--contrast", ","])
            let byID = try explain(odd, idArguments(input) + ["--method", method, "--contrast-id", "1"])
            let target = try targetID(byID)
            XCTAssertNotEqual(target, 1)
            XCTAssertEqual(try scores(byText), try scores(byID))
            XCTAssertEqual(parameters(byID)["seed"], "contrast")
            XCTAssertEqual(parameters(byID)["contrast"], "1")
            XCTAssertEqual(parameters(byText)["contrastText"], ",")

            let options = RelevanceOptions(method: kind)
            let tokens: ModelInput = .tokens(input, types: nil)
            let p = input.count - 1
            let contrast = try Relevance.explain(model, tokens, target: .contrast(target, minus: 1, position: p), options: options)
            assertEqual(try scores(byID), contrast.tokens, accuracy: 1e-6, "\(method) contrast")
            // The reverse sweep is linear in the seed: R(target − contrast) = R(target) − R(contrast).
            let plus = try Relevance.explain(model, tokens, target: .token(target, position: p), options: options)
            let minus = try Relevance.explain(model, tokens, target: .token(1, position: p), options: options)
            assertEqual(try scores(byID), zip(plus.tokens, minus.tokens).map { $0 - $1 }, accuracy: 1e-5, "\(method) linearity")
        }
    }

    func testContrastiveSeedEqualsTheLibrary() throws {
        let model = try load("gpt2-odd")
        let logit = try explain(odd, idArguments(ids))
        let contrastive = try explain(odd, idArguments(ids) + ["--seed", "contrastive"])
        let target = try targetID(contrastive)
        XCTAssertEqual(parameters(contrastive)["seed"], "contrastive")
        XCTAssertEqual(parameters(logit)["seed"], "logit")
        let expected = try Relevance.explain(model, .tokens(ids, types: nil), target: .contrastive(target, position: ids.count - 1))
        assertEqual(try scores(contrastive), expected.tokens, accuracy: 1e-6, "contrastive")
        // The seed matters: −1/V on every other logit changes the scores.
        let difference = zip(try scores(contrastive), try scores(logit)).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(difference, 1e-4)

        let gae = try explain(odd, idArguments(ids) + ["--method", "gae", "--seed", "contrastive"])
        let expectedGAE = try GenericAttentionExplainability.explain(model, .tokens(ids, types: nil),
                                                                     target: .contrastive(target, position: ids.count - 1))
        assertEqual(try scores(gae), expectedGAE.scores, accuracy: 1e-6, "gae contrastive")
    }

    // MARK: --compare

    func testCompareOnAnEncoderWithoutAHeadEqualsTheLibrary() throws {
        let model = try load("bert-odd")
        let input = [2, 30, 31, 32, 3], other = [2, 31, 33, 3]
        let json = try explain("Tests/Fixtures/models/bert-odd", idArguments(input)
                               + ["--compare-ids", other.map(String.init).joined(separator: ","), "--heads"])
        let expected = try Relevance.explain(model, .tokens(input, types: nil), target: .similarity(to: .tokens(other, types: nil)))
        assertNonTrivial(try scores(json), "similarity")
        assertEqual(try scores(json), expected.tokens, accuracy: 1e-6, "similarity")
        XCTAssertEqual(parameters(json)["seed"], "similarity")
        XCTAssertEqual(parameters(json)["similarity"], "cosine")
        XCTAssertEqual(parameters(json)["compareIds"], "2,31,33,3")
        XCTAssertEqual(Double(try XCTUnwrap(parameters(json)["value"])) ?? .nan, Double(expected.target.value), accuracy: 1e-6)
        XCTAssertNil((json["target"] as? [String: Any])?["logit"])

        // A text is tokenized like the prompt (bert-odd's vocab.txt WordPiece), for gae too.
        let text = try explain("Tests/Fixtures/models/bert-odd", ["--prompt", "the cat", "--compare", "the dog", "--method", "gae"])
        let tokenizer = try Tokenizer.load(directory: Fixtures.model("bert-odd"))
        let prompt = try tokenizer.encode("the cat"), compared = try tokenizer.encode("the dog")
        let expectedGAE = try GenericAttentionExplainability.explain(
            model, .tokens(prompt.ids, types: prompt.typeIDs), target: .similarity(to: .tokens(compared.ids, types: compared.typeIDs)))
        assertNonTrivial(try scores(text), "gae similarity")
        assertEqual(try scores(text), expectedGAE.scores, accuracy: 1e-6, "gae similarity")
        XCTAssertEqual(parameters(text)["compare"], "the dog")
    }

    func testCompareOnRealMiniLM() throws {
        let folder = Fixtures.cachedModels.appendingPathComponent("all-MiniLM-L6-v2")
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) else {
            if Fixtures.realModelsRequired {
                XCTFail("MiniLM is required (GLASSBOX_REQUIRE_REAL_MODELS=1) but \(folder.path) is missing; run scripts/fetch-minilm.sh")
            }
            throw XCTSkip("MiniLM not fetched; run scripts/fetch-minilm.sh")
        }
        let json = try explain(folder.path, ["--prompt", "A man is playing a guitar.", "--compare", "Someone plays music."])
        let model = try TransformerModel.load(directory: folder)
        let tokenizer = try Tokenizer.load(directory: folder)
        let prompt = try tokenizer.encode("A man is playing a guitar."), compared = try tokenizer.encode("Someone plays music.")
        let expected = try Relevance.explain(model, .tokens(prompt.ids, types: prompt.typeIDs),
                                             target: .similarity(to: .tokens(compared.ids, types: compared.typeIDs)))
        assertEqual(try scores(json), expected.tokens, accuracy: 1e-5, "MiniLM similarity")
        XCTAssertGreaterThan(expected.target.value, 0.3)   // related sentences
    }

    // MARK: --heads and --neurons

    func testHeadsPictureIsTheHeadRelevanceHeatmap() throws {
        let output = try runGlassbox(["explain", "--model", odd] + idArguments(ids)
                                     + ["--heads", "--json", "--out", folder.appendingPathComponent("lrp.png").path])
        XCTAssertEqual(output.status, 0, output.stderr)
        let picture = folder.appendingPathComponent("lrp-heads.png")
        XCTAssertTrue(output.stderr.contains("heads picture: \(picture.path)"), output.stderr)
        let record = try JSONDecoder().decode(ExplanationRecord.self, from: Data(output.stdout.utf8))

        // The JSON's heads are the library's [layers, heads] relevance.
        let model = try load("gpt2-odd")
        let result = try Relevance.explain(model, .tokens(ids, types: nil), target: .token(record.target.id, position: ids.count - 1))
        let heads = try XCTUnwrap(record.extra.heads)
        XCTAssertEqual(heads.count, 3)
        for (l, row) in heads.enumerated() { assertEqual(row, result.heads.row(l).storage, accuracy: 1e-6, "heads L\(l)") }

        // The written picture is the heatmap of exactly these values: redrawn from the JSON it is
        // pixel-identical, and another heads matrix gives other pixels.
        let written = try RGBImage.readPNG(picture)
        let redrawn = folder.appendingPathComponent("redrawn.png")
        try XCTUnwrap(try record.headFigure()).render(to: redrawn, scale: 2)
        XCTAssertEqual(try RGBImage.readPNG(redrawn).pixels, written.pixels)
        var changed = record
        changed.extra.heads = heads.map { $0.map { -$0 } }
        let other = folder.appendingPathComponent("other.png")
        try XCTUnwrap(try changed.headFigure()).render(to: other, scale: 2)
        let otherPixels = try RGBImage.readPNG(other)
        XCTAssertEqual([otherPixels.width, otherPixels.height], [written.width, written.height])
        let differing = zip(otherPixels.pixels, written.pixels).filter { $0 != $1 }.count
        XCTAssertGreaterThan(differing, 1000, "negated head relevance should recolour every cell")

        // Without --heads no heads picture is written.
        let plain = try runGlassbox(["explain", "--model", odd] + idArguments(ids)
                                    + ["--out", folder.appendingPathComponent("plain.png").path])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("plain-heads.png").path))
    }

    func testNeuronsAreTheMostRelevantOverAllLayers() throws {
        let count = 7
        let json = try explain(odd, idArguments(ids) + ["--method", "cp-lrp", "--neurons", "--neuron-count", "\(count)"],
                               picture: "cp.svg")
        let neurons = try XCTUnwrap(extra(json)["neurons"] as? [[String: Any]])
        XCTAssertEqual(neurons.count, count)
        let listed = try neurons.map { (layer: try XCTUnwrap($0["layer"] as? Int), neuron: try XCTUnwrap($0["neuron"] as? Int),
                                        relevance: try XCTUnwrap($0["relevance"] as? Double)) }
        // Sorted by |relevance|, largest first.
        for (a, b) in zip(listed, listed.dropFirst()) { XCTAssertGreaterThanOrEqual(abs(a.relevance), abs(b.relevance)) }

        let model = try load("gpt2-odd")
        let result = try Relevance.explain(model, .tokens(ids, types: nil), target: .token(try targetID(json), position: ids.count - 1),
                                           options: RelevanceOptions(method: .cpLRP))
        // Each value is the library's, and the list is the overall top `count` by |relevance|.
        for n in listed { XCTAssertEqual(n.relevance, Double(result.neurons[n.layer, n.neuron]), accuracy: 1e-6) }
        let all = (0..<result.neurons.shape[0]).flatMap { l in (0..<result.neurons.shape[1]).map { abs(result.neurons[l, $0]) } }
        XCTAssertEqual(abs(listed.last!.relevance), Double(all.sorted(by: >)[count - 1]), accuracy: 1e-6)
        // Per layer, the listed neurons are that layer's topNeurons, in order.
        for layer in Set(listed.map(\.layer)) {
            let mine = listed.filter { $0.layer == layer }.map(\.neuron)
            XCTAssertEqual(mine, result.topNeurons(layer: layer, count: mine.count).map(\.neuron))
        }
        let picture = folder.appendingPathComponent("cp-neurons.svg")
        XCTAssertTrue(try String(contentsOf: picture, encoding: .utf8).contains("<svg"))

        // Text mode: a short table and the picture's path.
        let text = try runGlassbox(["explain", "--model", odd] + idArguments(ids)
                                   + ["--method", "cp-lrp", "--neurons", "--neuron-count", "3", "--out", folder.appendingPathComponent("t.png").path])
        XCTAssertEqual(text.status, 0, text.stderr)
        let rows = text.stdout.split(separator: "\n").filter { $0.range(of: #"^\s+\d+\s+\d+\s+[+-]\d"#, options: .regularExpression) != nil }
        XCTAssertEqual(rows.count, 3, text.stdout)
        XCTAssertTrue(rows[0].contains("\(listed[0].layer)") && rows[0].contains("\(listed[0].neuron)"), text.stdout)
        XCTAssertTrue(text.stdout.contains("neurons picture: \(folder.appendingPathComponent("t-neurons.png").path)"), text.stdout)
    }

    // MARK: usage errors

    func testInvalidCombinationsAreUsageErrors() throws {
        let bertOdd = "Tests/Fixtures/models/bert-odd", vit = "Tests/Fixtures/models/vit-tiny"
        let cases: [(model: String, arguments: [String], fragment: String)] = [
            (odd, ["--method", "gae", "--heads"], "--heads draws head relevance, which only attnlrp, cp-lrp, grad-input give, not gae"),
            (odd, ["--method", "chefer", "--neurons"], "--neurons draws neuron relevance"),
            (odd, ["--method", "rollout", "--seed", "logit"], "--seed applies to the gradient methods"),
            (odd, ["--method", "atman", "--seed", "contrastive"], "not atman"),
            (odd, ["--method", "attention", "--contrast-id", "3"], "--contrast-id applies to the gradient methods"),
            (odd, ["--contrast", ",", "--contrast-id", "1"], "give --contrast or --contrast-id, not both"),
            (odd, ["--contrast-id", "8", "--seed", "contrastive"], "leave out --seed contrastive"),
            (odd, ["--neurons", "--neuron-count", "0"], "--neuron-count must be at least 1"),
            (odd, ["--compare", "hello"], "this gpt2 model is a causal LM"),
            (bertOdd, ["--compare-ids", "2,3", "--target-id", "1"], "leave out --target-id"),
            (bertOdd, ["--method", "cp-lrp"], "no prediction head, so cp-lrp has no logit to explain: give --compare"),
            (vit, ["--compare-ids", "2,3"], "this vit model reads images"),
        ]
        for (model, arguments, fragment) in cases {
            let out = folder.appendingPathComponent("never.png")
            let input = model == vit ? ["--image", "Tests/Fixtures/images/rgb8-100x33.png"] : idArguments([2, 8, 13, 3])
            let output = try runGlassbox(["explain", "--model", model] + input + arguments + ["--out", out.path])
            XCTAssertEqual(output.status, 2, "\(arguments): \(output.stderr)")
            XCTAssertEqual(output.stdout, "", "\(arguments)")
            XCTAssertEqual(output.stderrLines.count, 1, "\(arguments): \(output.stderr)")
            XCTAssertTrue(output.stderr.contains(fragment), "'\(fragment)' not in: \(output.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(arguments) wrote a picture")
        }
        // The contrast cannot be the target itself.
        let top = try targetID(try explain(odd, idArguments(ids)))
        let same = try runGlassbox(["explain", "--model", odd] + idArguments(ids) + ["--contrast-id", "\(top)"])
        XCTAssertEqual(same.status, 2, same.stderr)
        XCTAssertTrue(same.stderr.contains("is the explained target itself"), same.stderr)
    }
}
