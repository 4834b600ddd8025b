import ArgumentParser

/// `glassbox-bench`: speed measurements, side by side with the PyTorch reference. Never run by
/// `swift test`; run it alone on an idle machine (two BLAS-threaded processes on two cores
/// collapse each other's throughput).
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glassbox-bench",
        abstract: "Benchmarks of Glassbox against the PyTorch reference on the same machine and thread count.",
        subcommands: [ForwardBenchmark.self, SgemmBenchmark.self, TokenizerBenchmark.self, AtManBenchmark.self,
                      CorpusScanBenchmark.self, RelevanceBenchmark.self, LoadBenchmark.self, KernelsBenchmark.self, PatchBenchmark.self,
                      BatchBenchmark.self, GenerateBenchmark.self, SequenceBenchmark.self])
}
