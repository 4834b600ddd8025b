import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The head `config.json`'s `architectures` names, and the scores `problem_type` / one label ask
/// for, against transformers (scripts/fixtures/generate_heads.py → Tests/Fixtures/heads/pipeline.json).
final class ClassifierHeadTests: XCTestCase {
    /// The pipeline cases of one fixture model.
    private func cases(_ model: String) throws -> [[String: Any]] {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/heads/pipeline.json")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(object[model] as? [[String: Any]], "no cases for \(model)")
    }

    /// `predict --json` shows each label with the pipeline's score (1e-4 absolute; float32 both
    /// sides, logits of order 1): a sigmoid per class for multi-label, the raw output for
    /// regression, the softmax for a classifier whose file also holds the pre-training heads.
    func testPredictShowsThePipelineScores() throws {
        for (model, key, function) in [("bert-regression", "score", "none"), ("bert-multilabel", "prob", "sigmoid"),
                                       ("bert-cls-extra-heads", "prob", "softmax")] {
            for reference in try cases(model) {
                let ids = try XCTUnwrap(reference["ids"] as? [Int]).map(String.init).joined(separator: ",")
                let output = try runGlassbox(["predict", "--model", "Tests/Fixtures/heads/models/\(model)", "--ids", ids,
                                              "--json", "--top-k", "10"])
                XCTAssertEqual(output.status, 0, "\(model): \(output.stderr)")
                let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
                XCTAssertEqual(object["scores"] as? String, function, model)
                let top = try XCTUnwrap(object["top"] as? [[String: Any]])
                XCTAssertEqual(top.compactMap { $0["text"] as? String }, reference["labels"] as? [String], model)
                let expected = try XCTUnwrap(reference["scores"] as? [Double])
                let got = top.compactMap { $0[key] as? Double }
                XCTAssertEqual(got.count, expected.count, "\(model): \(top)")
                for (ours, theirs) in zip(got, expected) { XCTAssertEqual(ours, theirs, accuracy: 1e-4, model) }
            }
        }
    }

    /// The text table names the score function and heads its column with it.
    func testPredictTableNamesTheScoreFunction() throws {
        let output = try runGlassbox(["predict", "--model", "Tests/Fixtures/heads/models/bert-regression", "--ids", "2,13,28,3"])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stdout.contains("scores: the raw regression output (problem_type regression, as the pipeline)"), output.stdout)
        XCTAssertTrue(output.stdout.contains("rank  id      logit     score    text"), output.stdout)
        let multi = try runGlassbox(["predict", "--model", "Tests/Fixtures/heads/models/bert-multilabel", "--ids", "2,13,28,3"])
        XCTAssertTrue(multi.stdout.contains("scores: a sigmoid per class (multi-label, as the pipeline)"), multi.stdout)
    }

    /// A copy of `model` whose config.json names `className` in `architectures`.
    private func relabelled(_ model: String, as className: String) throws -> URL {
        try Fixtures.linkedCopy(of: model, test: self, replacing: "config.json") { data in
            var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            config["architectures"] = [className]
            return try JSONSerialization.data(withJSONObject: config)
        }
    }

    /// Heads Glassbox does not run are refused with one line naming `architectures`, the class and
    /// the family's supported classes, even when the weights would fit another head (bert-cls has a
    /// pooler and `classifier.*`, which used to run as a sequence classifier).
    func testUnsupportedHeadsAreRefusedNamingTheClass() throws {
        let bert = "BertForMaskedLM, BertForPreTraining, BertForSequenceClassification, BertModel"
        for (model, className, supported) in [
            ("bert-cls", "BertForTokenClassification", bert), ("bert-cls", "BertForMultipleChoice", bert),
            ("bert-cls", "BertForNextSentencePrediction", bert), ("bert-cls", "BertForQuestionAnswering", bert),
            ("bert-tiny-mlm", "BertLMHeadModel", bert),
            ("distilbert-cls", "DistilBertForTokenClassification", "DistilBertForMaskedLM, DistilBertForSequenceClassification, DistilBertModel"),
            ("distilbert-cls", "DistilBertForMultipleChoice", "DistilBertForMaskedLM, DistilBertForSequenceClassification, DistilBertModel"),
            ("roberta-cls", "RobertaForTokenClassification", "RobertaForMaskedLM, RobertaForSequenceClassification, RobertaModel"),
            ("xlmr-cls", "XLMRobertaForTokenClassification",
             "XLMRobertaForMaskedLM, XLMRobertaForSequenceClassification, XLMRobertaModel"),
            ("camembert-mlm", "CamembertForCausalLM", "CamembertForMaskedLM, CamembertForSequenceClassification, CamembertModel"),
            ("llama-gqa", "LlamaForTokenClassification", "LlamaForCausalLM, LlamaForSequenceClassification, LlamaModel"),
            ("gemma-tiny", "GemmaForSequenceClassification", "GemmaForCausalLM, GemmaModel"),
            ("gpt2-tiny", "GPT2DoubleHeadsModel", "GPT2ForSequenceClassification, GPT2LMHeadModel, GPT2Model"),
            ("modernbert-cls", "ModernBertForTokenClassification", "ModernBertForMaskedLM, ModernBertForSequenceClassification, ModernBertModel"),
            ("modernbert-mean", "ModernBertForQuestionAnswering", "ModernBertForMaskedLM, ModernBertForSequenceClassification, ModernBertModel"),
        ] {
            let folder = try relabelled(model, as: className)
            let output = try runGlassbox(["predict", "--model", folder.path, "--ids", "2,5,3"])
            XCTAssertEqual(output.status, 1, "\(className): \(output.stdout)")
            XCTAssertEqual(output.stderrLines, ["glassbox: error: \(folder.path)/config.json: 'architectures' names \(className), "
                                                + "a head Glassbox does not support; supported: \(supported)"], className)
        }
    }

    /// `architectures` decides over the weight names: bert-cls named `BertModel` is the bare encoder
    /// (its classifier ignored, as transformers ignores unexpected keys), named `BertForMaskedLM`
    /// it lacks the MLM head's weights.
    func testArchitecturesDecidesOverTheWeights() throws {
        let bare = try TransformerModel.load(directory: try relabelled("bert-cls", as: "BertModel"))
        XCTAssertEqual(bare.architecture.head, .none)
        let classifier = try TransformerModel.load(directory: Fixtures.model("bert-cls"))
        XCTAssertEqual(classifier.architecture.head, .sequenceClassification(labels: ["negative", "neutral", "positive"]))
        XCTAssertEqual(classifier.architecture.classScores, .softmax)
        let folder = try relabelled("bert-cls", as: "BertForMaskedLM")
        XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
            XCTAssertEqual(error.localizedDescription,
                           "weight 'cls.predictions.transform.dense.weight' is missing from the checkpoint in \(folder.path)")
        }
    }

    /// An unknown `problem_type` is refused as transformers' `PretrainedConfig` refuses it, for
    /// every model, not only classifiers (its `__init__` checks it whatever the head).
    func testUnknownProblemTypeIsRefused() throws {
        for model in ["bert-cls", "gpt2-tiny", "roberta-mlm", "bert-tiny-mlm"] {
            let folder = try Fixtures.linkedCopy(of: model, test: self, replacing: "config.json") { data in
                var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
                config["problem_type"] = "multilabel"
                return try JSONSerialization.data(withJSONObject: config)
            }
            XCTAssertThrowsError(try TransformerModel.load(directory: folder), model) { error in
                XCTAssertEqual(error.localizedDescription, "\(folder.path)/config.json: 'problem_type' is not one of regression, "
                               + "single_label_classification, multi_label_classification (transformers refuses it too)", model)
            }
        }
    }

    /// A checkpoint holding the masked-LM head and a classifier, whose `architectures` names
    /// neither (absent, empty, a string, a custom class, null), is refused in one line naming
    /// `architectures` and the two heads, so the user knows what to set.
    func testTwoHeadsWithoutArchitecturesNameTheKey() throws {
        let source = Fixtures.root.appendingPathComponent("Tests/Fixtures/heads/models/bert-cls-extra-heads")
        let values: [Any?] = [nil, [] as [Any], "BertForSequenceClassification", ["MyBert"], [NSNull()]]
        for value in values {
            let folder = try makeTemporaryFolder("two-heads")
            for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name != "config.json" {
                try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name),
                                                           withDestinationURL: source.appendingPathComponent(name))
            }
            var config = try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any])
            config["architectures"] = value
            try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
            let output = try runGlassbox(["predict", "--ids", "2,10,3", "--model", folder.path])
            XCTAssertEqual(output.status, 1, "\(String(describing: value))")
            XCTAssertEqual(output.stderrLines, ["glassbox: error: \(folder.path)/config.json: 'architectures' names no bert class "
                + "Glassbox runs, and the weights hold two heads: a masked-LM head (cls.predictions.*) and a classifier "
                + "(classifier.*); set it to [\"BertForMaskedLM\"] or [\"BertForSequenceClassification\"] to choose one"],
                           "\(String(describing: value))")
        }
    }

    /// A regression head with three outputs (bert-cls's config with `problem_type` regression)
    /// is refused with its output count, not "its one output".
    func testARegressionHeadWithSeveralOutputsIsWordedForTheCount() throws {
        let folder = try Fixtures.linkedCopy(of: "bert-cls", test: self, replacing: "config.json") { data in
            var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            config["problem_type"] = "regression"
            return try JSONSerialization.data(withJSONObject: config)
        }
        let raw = "but this bert classifier has none: its 3 outputs are raw regression scores (problem_type regression)"
        for (arguments, line) in [
            (["explain", "--model", folder.path, "--ids", "2,13,28,3", "--method", "atman"],
             "AtMan (its delta-ce score) reads a class probability, \(raw); this analysis does not support it"),
            (["trace", "--model", folder.path, "--ids", "2,13,28,3", "--noise-span", "1:2"],
             "causal tracing reads a class probability, \(raw); this analysis does not support it"),
            (["patch", "--model", folder.path, "--clean-ids", "2,13,28,3", "--corrupted-ids", "2,14,28,3", "--metric", "kl"],
             "the kl metric reads a softmax over the classes, \(raw); use --metric logit-diff"),
        ] {
            let output = try runGlassbox(arguments)
            XCTAssertEqual(output.status, 1, arguments[0])
            XCTAssertEqual(output.stderrLines, ["glassbox: error: " + line], arguments[0])
        }
    }

    /// Analyses that read a class probability still refuse a regression classifier in one line
    /// (exit 1): it has no probability; `patch --metric kl` refuses a multi-label classifier too,
    /// saying why (no one distribution over its classes) and which metrics fit. Patching's
    /// logit-diff metric runs on both.
    func testRegressionHeadsAndKLOnSigmoidHeadsAreRefused() throws {
        let multi = "Tests/Fixtures/heads/models/bert-multilabel", regression = "Tests/Fixtures/heads/models/bert-regression"
        let raw = "but this bert classifier has none: its one output is a raw regression score (problem_type regression)"
        let oneRegression = "this bert classifier's one output is a raw regression score (problem_type regression): patching measures "
            + "a logit difference between two outputs or a class probability, and it has neither"
        let prompts = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-regression-\(UUID().uuidString).jsonl").path
        try #"{"ids": [2, 13, 28, 3]}"#.write(toFile: prompts, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: prompts) }
        for (arguments, line) in [
            (["explain", "--model", regression, "--ids", "2,13,28,3", "--method", "atman"],
             "AtMan (its delta-ce score) reads a class probability, \(raw); this analysis does not support it"),
            (["trace", "--model", regression, "--ids", "2,13,28,3", "--noise-span", "1:2"],
             "causal tracing reads a class probability, \(raw); this analysis does not support it"),
            (["evaluate", "--model", regression, "--prompts", prompts, "--methods", "atman"],
             "evaluate (its curves) reads a class probability, \(raw); this analysis does not support it"),
            // One regression output: no metric of patching reads it (the refusals used to point at each other).
            (["patch", "--model", regression, "--clean-ids", "2,13,28,3", "--corrupted-ids", "2,14,28,3", "--metric", "prob"], oneRegression),
            (["patch", "--model", regression, "--clean-ids", "2,13,28,3", "--corrupted-ids", "2,14,28,3", "--metric", "logit-diff"], oneRegression),
            (["path", "--model", regression, "--clean-ids", "2,13,28,3", "--corrupted-ids", "2,14,28,3", "--receivers", "resid"], oneRegression),
            (["patch", "--model", multi, "--clean-ids", "2,13,28,3", "--corrupted-ids", "2,14,28,3", "--metric", "kl"],
             "the kl metric reads a softmax over the classes, but this bert classifier has none: its scores are a sigmoid per class "
             + "(problem_type multi_label_classification), independent yes/no probabilities with no one distribution over the classes; "
             + "use --metric prob, logprob or logit-diff"),
        ] {
            let output = try runGlassbox(arguments)
            XCTAssertEqual(output.status, 1, arguments[0])
            XCTAssertEqual(output.stderrLines, ["glassbox: error: " + line], arguments[0])
        }
        let patched = try runGlassbox(["patch", "--model", multi, "--clean-ids", "2,13,28,3", "--corrupted-ids", "2,14,28,3",
                                       "--answer-id", "0", "--wrong-id", "1", "--json"])
        XCTAssertEqual(patched.status, 0, patched.stderr)
    }

    /// On a multi-label classifier the analyses that read a class probability run and say that it
    /// is the sigmoid of the label's logit: explain's target `prob` is `σ(z)` (0.6627 for
    /// "science", the pipeline's score in pipeline.json) with `"scores": "sigmoid"` and
    /// "p=… (sigmoid)"; trace's and patch's metric objects, evaluate's result carry `"scores"`,
    /// and their text names it. A softmax classifier's records name no score function.
    func testSigmoidClassifiersAnalysesNameTheSigmoid() throws {
        let multi = "Tests/Fixtures/heads/models/bert-multilabel"
        let folder = try makeTemporaryFolder("sigmoid")
        func out(_ name: String) -> String { folder.appendingPathComponent(name).path }
        func object(_ text: String) throws -> [String: Any] {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
        }
        let ids = "2,1,29,1,16,13,1,3"
        let science = try XCTUnwrap(try cases("bert-multilabel")[1]["scores"] as? [Double]).last!   // σ(0.6753), the lowest label
        for method in ["atman", "grad-input"] {
            let explain = try runGlassbox(["explain", "--model", multi, "--ids", ids, "--method", method, "--target", "science",
                                           "--json", "--out", out("e.png")])
            XCTAssertEqual(explain.status, 0, explain.stderr)
            let record = try object(explain.stdout)
            XCTAssertEqual((record["target"] as? [String: Any])?["prob"] as? Double ?? .nan, science, accuracy: 1e-6, method)
            XCTAssertEqual((record["parameters"] as? [String: Any])?["scores"] as? String, "sigmoid", method)
        }
        let text = try runGlassbox(["explain", "--model", multi, "--ids", ids, "--method", "atman", "--target", "science", "--out", out("e.png")])
        XCTAssertTrue(text.stdout.hasPrefix(String(format: "explaining “science” (id 2, p=%.4f (sigmoid), logit 0.6753)", science)), text.stdout)
        let trace = try runGlassbox(["trace", "--model", multi, "--ids", ids, "--noise-span", "1:4", "--answer", "science",
                                     "--samples", "2", "--json", "--out", out("t.png")])
        XCTAssertEqual(trace.status, 0, trace.stderr)
        let traced = try XCTUnwrap(try object(trace.stdout)["metric"] as? [String: Any])
        XCTAssertEqual(traced["scores"] as? String, "sigmoid")
        XCTAssertEqual(traced["clean"] as? Double ?? .nan, science, accuracy: 1e-6)
        let traceText = try runGlassbox(["trace", "--model", multi, "--ids", ids, "--noise-span", "1:4", "--answer", "science",
                                         "--samples", "2", "--out", out("t.png")])
        XCTAssertTrue(traceText.stdout.hasPrefix(String(format: "causal tracing of \"science\" at position 0: p (sigmoid) clean %.4f", science)),
                      traceText.stdout)
        let patchArguments = ["patch", "--model", multi, "--clean-ids", ids, "--corrupted-ids", "2,1,40,1,57,13,1,3",
                              "--metric", "logprob", "--answer", "science", "--out", out("p.png")]
        let patch = try runGlassbox(patchArguments + ["--json"])
        XCTAssertEqual(patch.status, 0, patch.stderr)
        let patched = try XCTUnwrap(try object(patch.stdout)["metric"] as? [String: Any])
        XCTAssertEqual(patched["scores"] as? String, "sigmoid")
        XCTAssertEqual(patched["clean"] as? Double ?? .nan, log(science), accuracy: 1e-6)
        XCTAssertTrue(try runGlassbox(patchArguments).stdout.hasPrefix("exact patching (denoise), logprob (sigmoid) at position 0"))
        let prompts = out("in.jsonl")
        try #"{"ids": [2, 1, 29, 1, 16, 13, 1, 3], "target": "science"}"#.write(toFile: prompts, atomically: true, encoding: .utf8)
        let evaluate = try runGlassbox(["evaluate", "--model", multi, "--prompts", prompts, "--methods", "atman", "--steps", "3",
                                        "--json", "--out", out("v.png")])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let evaluation = try object(evaluate.stdout)
        XCTAssertEqual(evaluation["scores"] as? String, "sigmoid")
        let input = try XCTUnwrap((evaluation["inputs"] as? [[String: Any]])?.first?["target"] as? [String: Any])
        XCTAssertEqual(input["prob"] as? Double ?? .nan, science, accuracy: 1e-6)
        // A softmax classifier: no score function named.
        let softmax = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/bert-cls", "--ids", "2,13,28,3", "--method", "atman",
                                       "--json", "--out", out("s.png")])
        XCTAssertEqual(softmax.status, 0, softmax.stderr)
        XCTAssertNil((try object(softmax.stdout)["parameters"] as? [String: Any])?["scores"])
    }
}
