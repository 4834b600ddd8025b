import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `explain` and `predict` on the XLM-R and CamemBERT fixtures through the built executable, with
/// prompts through the folders' own SentencePiece tokenizers: the ids are AutoTokenizer's and the
/// numbers transformers' (the golden "prompt" case of each model: the ids AutoTokenizer gives the
/// same text, and every hook of the forward on them, scripts/fixtures/generate.py). Tolerance 1e-4
/// on logits (GoldenTests' bound for every hook point), 1e-5 on probabilities.
final class XLMRobertaCommandTests: XCTestCase {
    /// Model, the golden case's text.
    static let prompts = [("xlmr-mlm", "The cat<mask> on the mat."), ("camembert-mlm", "Le chat<mask> sur le tapis."),
                          ("xlmr-cls", "The dog ran to the river.")]
    private var out: URL!

    override func setUp() {
        out = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-xlmr-\(UUID().uuidString).png")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: out) }

    private func object(_ output: CommandOutput) throws -> [String: Any] {
        XCTAssertEqual(output.status, 0, output.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], output.stdout)
    }

    /// The golden "prompt" case of `model`: its ids and logits `[n, V]` (masked LM) or `[1, classes]`.
    private func golden(_ model: String) throws -> (ids: [Int], logits: Tensor) {
        let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("\(model)/prompt.safetensors"))
        return (golden.inputIDs, try golden.tensor("unembed.hook_out"))
    }

    /// `explain --prompt`: the tokens are AutoTokenizer's, the target is the mask (masked LM) or
    /// `<s>` (classifier), and its id, logit and probability are transformers'.
    func testExplainAPromptMatchesTransformers() throws {
        for (model, text) in Self.prompts {
            let (ids, logits) = try golden(model)
            let record = try object(try runGlassbox(["explain", "--model", "Tests/Fixtures/models/\(model)", "--prompt", text,
                                                     "--method", "attnlrp", "--json", "--out", out.path]))
            let tokens = try XCTUnwrap(record["tokens"] as? [[String: Any]])
            XCTAssertEqual(tokens.compactMap { $0["id"] as? Int }, ids, model)
            let classifier = model.hasSuffix("-cls")
            let mask = try TransformerModel.load(directory: Fixtures.model(model)).architecture.vocabSize - 1   // <mask> is last
            let position = classifier ? 0 : try XCTUnwrap(ids.firstIndex(of: mask), "\(model): no <mask> in \(ids)")
            let row = logits.row(classifier ? 0 : position).storage
            let top = row.indices.max { row[$0] < row[$1] }!
            let target = try XCTUnwrap(record["target"] as? [String: Any])
            XCTAssertEqual(target["position"] as? Int, position, model)
            XCTAssertEqual(target["id"] as? Int, top, model)
            XCTAssertEqual(try XCTUnwrap(target["logit"] as? Double), Double(row[top]), accuracy: 1e-4, model)
            let peak = row.max()!
            let probability = 1 / row.map { Double(exp($0 - peak)) }.reduce(0, +)
            XCTAssertEqual(try XCTUnwrap(target["prob"] as? Double), probability, accuracy: 1e-5, model)
            XCTAssertEqual((record["model"] as? [String: Any])?["architecture"] as? String,
                           model.hasPrefix("camembert") ? "camembert" : "xlm-roberta")
        }
    }

    /// `predict --prompt` on the classifier: the three classes with transformers' logits, by name.
    func testPredictClassifiesAPromptAsTransformers() throws {
        let (ids, logits) = try golden("xlmr-cls")
        let record = try object(try runGlassbox(["predict", "--model", "Tests/Fixtures/models/xlmr-cls", "--prompt",
                                                 "The dog ran to the river.", "--json"]))
        XCTAssertEqual(try XCTUnwrap(record["tokens"] as? [[String: Any]]).compactMap { $0["id"] as? Int }, ids)
        let top = try XCTUnwrap(record["top"] as? [[String: Any]])
        XCTAssertEqual(top.count, 3)
        let labels = ["negative", "neutral", "positive"]
        for entry in top {
            let id = try XCTUnwrap(entry["id"] as? Int)
            XCTAssertEqual(entry["text"] as? String, labels[id])
            XCTAssertEqual(try XCTUnwrap(entry["logit"] as? Double), Double(logits[0, id]), accuracy: 1e-4, labels[id])
        }
    }

    /// xlmr-mlm with its `sentencepiece.bpe.model` instead of tokenizer.json (the model is converted
    /// as AutoTokenizer converts it): the prompt's ids and prediction are the golden's. Naming
    /// another tokenizer class there is refused: exit 1, one line naming the file.
    func testTheSentencePieceModelAloneRunsOrIsRefusedInOneLine() throws {
        let folder = try makeTemporaryFolder("xlmr-spm")
        for file in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: Fixtures.model("xlmr-mlm").appendingPathComponent(file),
                                             to: folder.appendingPathComponent(file))
        }
        let spm = Fixtures.root.appendingPathComponent("Tests/Fixtures/tokenizers/xlmr-spm/sentencepiece.bpe.model")
        try FileManager.default.copyItem(at: spm, to: folder.appendingPathComponent("sentencepiece.bpe.model"))
        let (ids, logits) = try golden("xlmr-mlm")
        let record = try object(try runGlassbox(["predict", "--model", folder.path, "--prompt", Self.prompts[0].1, "--json"]))
        XCTAssertEqual(try XCTUnwrap(record["tokens"] as? [[String: Any]]).compactMap { $0["id"] as? Int }, ids)
        let position = try XCTUnwrap(record["position"] as? Int)
        let row = logits.row(position).storage
        let top = try XCTUnwrap((record["top"] as? [[String: Any]])?.first)
        XCTAssertEqual(top["id"] as? Int, row.indices.max { row[$0] < row[$1] })
        XCTAssertEqual(try XCTUnwrap(top["logit"] as? Double), Double(row.max()!), accuracy: 1e-4)

        try Data(#"{"tokenizer_class": "AlbertTokenizer"}"#.utf8).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        let output = try runGlassbox(["predict", "--model", folder.path, "--prompt", "a <mask> b"])
        XCTAssertEqual(output.status, 1, output.stderr)
        XCTAssertEqual(output.stderrLines.count, 1, output.stderr)
        XCTAssertTrue(output.stderr.contains("\(folder.path)/sentencepiece.bpe.model: ") && output.stderr.contains("tokenizer.json is needed"),
                      output.stderr)
    }
}
