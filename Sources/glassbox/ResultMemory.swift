import Foundation

/// The memory check before `render` builds a result other than explain as Foundation objects
/// (`ResultKind`): that takes about 21 bytes of memory per byte of file (measured: a 180 MB
/// evaluate result peaked at 3.86 GB, a 30 MB one at 0.67 GB), so a result that would not fit
/// in the memory available (`MemAvailable`, or `GLASSBOX_MEMAVAILABLE_BYTES`) is refused first.
/// Explain results are decoded into typed records and are not checked here.
enum ResultMemory {
    /// Bytes of memory assumed per byte of result file (the 21 measured, rounded up).
    static let bytesPerFileByte = 24
    /// The same for an `attention` result, whose weights are read straight into float32
    /// (`ResultKind.attention`).
    static let attentionBytesPerFileByte = 4

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
