import ArgumentParser

/// `--force` for the commands whose memory is checked before they run (lens, attention, patch,
/// trace, path, neurons, evaluate, verify; `explain` and `predict` declare their own): run even
/// when ``MemoryGate``'s estimate exceeds the memory available.
struct MemoryOptions: ParsableArguments {
    @Flag(name: .long, help: "Run even when the memory estimate exceeds the memory available.")
    var force = false
}
