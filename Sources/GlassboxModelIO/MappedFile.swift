import Foundation
import GlassboxFiles
import GlassboxTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole regular file, unmapped when released.
///
/// Owned by ``SafetensorsFile``; a separate object so that a throw halfway through parsing still
/// unmaps. The mapping is `MAP_PRIVATE`/`PROT_READ`: the file must not be truncated while mapped
/// (the kernel would raise SIGBUS on access past the new end).
final class MappedFile: FileMappedBytes, @unchecked Sendable {
    /// Start of the mapping (page-aligned).
    let base: UnsafeRawPointer
    /// Size of the file and the mapping, in bytes (`>= 1`).
    let size: Int

    /// Maps `path`, which must be a regular file (else `InputFileError`). Files shorter than
    /// `minimumSize` throw `fileTooShort` before mapping.
    init(path: String, minimumSize: Int) throws {
        // Regular files only (a FIFO would block the open; a device could be endless).
        let fd = try InputFile.openChecked(path)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ModelIOError.cannotOpen(file: path, reason: Self.systemError())
        }
        let size = Int(info.st_size)
        guard size >= max(minimumSize, 1) else {
            throw ModelIOError.fileTooShort(file: path, size: size)
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw ModelIOError.cannotOpen(file: path, reason: "mmap failed: " + Self.systemError())
        }
        self.base = UnsafeRawPointer(address)
        self.size = size
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), size)
    }

    /// All mapped bytes.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}
