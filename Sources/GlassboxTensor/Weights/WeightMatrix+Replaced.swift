import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The owner of a read-only file mapping (`MappedFile`): its pages are clean copies of the file,
/// which the kernel may drop and read again on the next access. Anonymous memory (`OwnedBytes`)
/// must never be advised so: its pages would come back as zeros.
public protocol FileMappedBytes: AnyObject {}

extension WeightMatrix {
    /// The whole matrix as Float32, for a copy that replaces it at load (a constant folded in:
    /// Granite's multipliers, Cohere's `logit_scale`). Two things the replaced matrix would
    /// otherwise cost later: its pending NaN/±Inf check is settled now from its elements (the
    /// check after the first forward would read all of it again), and when it lies in a file
    /// mapping its pages are given back (`MADV_DONTNEED`: clean file pages, read again only if
    /// something still reads them, such as the rows a tied embedding looks up), so the copy does
    /// not sit beside its source in the resident set.
    public func float32Replacing() -> Tensor {
        let copy = float32()
        if settlesPendingCheck, let check { check.settle(nonFiniteCount()) }
        releaseFilePages()
        return copy
    }

    /// Advises the kernel that the whole pages inside this matrix's stored bytes are not needed,
    /// when they are a file mapping's; nothing for Float32 tensors and owned bytes.
    func releaseFilePages() {
        guard case .raw(let base, let owner) = storage, owner is FileMappedBytes else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let start = Int(bitPattern: base) + offset * format.bytesPerElement
        let end = start + ((rowCount - 1) * rowStride + columnCount) * format.bytesPerElement
        let first = (start + page - 1) / page * page, last = end / page * page
        guard rowCount > 0, last > first, let pointer = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(pointer, last - first, Int32(MADV_DONTNEED))
    }
}
