#if canImport(Glibc)
import Glibc
#endif

/// glibc allocator settings that suit Glassbox's large, short-lived buffers, made once at the start
/// of a process (the `glassbox` CLI and the benchmark executable call `apply()` first thing).
///
/// A forward pass and its reverse sweep allocate and free tensors of megabytes per layer. With
/// glibc's defaults each one above the (dynamic) mmap threshold is a fresh `mmap`, and freed heap
/// tops are trimmed back to the kernel, so every layer page-faults new memory: at 1,024 tokens the
/// CLI spent about as much time in the kernel as in its own code. These settings keep freed blocks
/// in the heap for reuse instead (docs/benchmarks.md has the measurements):
///
/// - `M_MMAP_THRESHOLD` 32 MiB (glibc's largest): blocks below it come from the heap;
/// - `M_TRIM_THRESHOLD` 2 GiB − 1 (the largest an `Int32` holds): the heap top is rarely returned;
/// - `M_TOP_PAD` 256 MiB: the heap grows in large steps.
///
/// A setting the user made through the environment (`MALLOC_MMAP_THRESHOLD_`,
/// `MALLOC_TRIM_THRESHOLD_`, `MALLOC_TOP_PAD_`) is left as given. The library itself never calls
/// this: process-wide allocator policy is the host program's choice. Does nothing off glibc.
public enum AllocatorSettings {
    /// The settings as `(environment variable, value)`, in the order they are applied.
    public static let values: [(variable: String, value: Int32)] = [
        ("MALLOC_MMAP_THRESHOLD_", 32 << 20), ("MALLOC_TRIM_THRESHOLD_", Int32.max), ("MALLOC_TOP_PAD_", 256 << 20),
    ]

    /// Applies `values` with `mallopt` (once per process is enough; calling again is harmless).
    /// Returns the variables that were applied (those not already set in the environment).
    @discardableResult
    public static func apply() -> [String] {
        #if canImport(Glibc)
        var applied: [String] = []
        for (variable, value) in values where getenv(variable) == nil {
            // glibc <malloc.h>: M_TRIM_THRESHOLD −1, M_TOP_PAD −2, M_MMAP_THRESHOLD −3.
            let option: Int32 = switch variable {
            case "MALLOC_MMAP_THRESHOLD_": -3
            case "MALLOC_TRIM_THRESHOLD_": -1
            default: -2
            }
            if glibcMallopt(option, value) == 1 { applied.append(variable) }
        }
        return applied
        #else
        return []
        #endif
    }
}

#if canImport(Glibc)
/// glibc's `int mallopt(int param, int value)` (<malloc.h> is not part of the Glibc module).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
