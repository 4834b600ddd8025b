import Foundation

/// The memory check before `render` reads a result other than explain (`ResultKind`).
///
/// Most are built as Foundation objects, about 21 bytes of memory per byte of file (measured: a
/// 180 MB evaluate result peaked at 3.86 GB, a 30 MB one at 0.67 GB; a 109 MB attention result
/// read that way peaked at 0.87 GB). An `attention` result's weights — nearly all of its bytes —
/// are read straight into float32 instead (`NumericArrayReader`) and only the rest is built as
/// objects: the same 109 MB result (`attention --json` of 1,500 tokens on the gpt2-long fixture,
/// 2 layers × 2 heads) peaked at 174 MB, 1.6 bytes per byte of file, the file's bytes included
/// (docs/benchmarks.md, "Long inputs"). A result that would not fit in the memory available
/// (`MemAvailable`, or `GLASSBOX_MEMAVAILABLE_BYTES`) is refused before it is read. Explain
/// results are decoded into typed records and are not checked here.
enum ResultMemory {
    /// Bytes of memory assumed per byte of result file (the 21 measured, rounded up).
    static let bytesPerFileByte = 24
    /// The same for an `attention` result read by `ResultKind.attention` (the 1.6 measured,
    /// rounded up).
    static let attentionBytesPerFileByte = 2

    /// Why a result is not read.
    struct Refusal: Error, LocalizedError {
        /// The file's size and the memory estimated and available, in bytes.
        let fileBytes: Int, needed: Int, available: Int
        /// The estimate used, bytes of memory per byte of file.
        var bytesPerFileByte = ResultMemory.bytesPerFileByte

        var errorDescription: String? {
            String(format: "reading this %.0f MB result takes about %.1f GB of memory (about %d bytes per byte of file), but %.1f GB is available; render it on a machine with more free memory",
                   Double(fileBytes) / 1e6, Double(needed) / 1e9, bytesPerFileByte, Double(available) / 1e9)
        }
    }

    /// Throws `Refusal` when a result of `fileBytes` would not fit; nothing when the available
    /// memory is unknown.
    static func check(fileBytes: Int, bytesPerFileByte: Int = bytesPerFileByte) throws {
        guard let available = MemoryGate().available else { return }
        let (needed, overflow) = fileBytes.multipliedReportingOverflow(by: bytesPerFileByte)
        if overflow || needed > available {
            throw Refusal(fileBytes: fileBytes, needed: overflow ? .max : needed, available: available, bytesPerFileByte: bytesPerFileByte)
        }
    }
}
