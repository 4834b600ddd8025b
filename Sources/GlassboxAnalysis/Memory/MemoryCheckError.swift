import Foundation

/// A run that would not fit in the memory the system has free.
public enum MemoryCheckError: Error, LocalizedError, Equatable {
    /// The estimate (bytes) exceeds what is available (bytes).
    case wouldNotFit(needed: Int, available: Int)
    /// The same, where `picture` bytes of the estimate are the PNG picture's drawing surface.
    case wouldNotFitWithPicture(needed: Int, available: Int, picture: Int)
    /// The same for `glassbox batch --pictures` (always PNGs): `picture` bytes are the pictures
    /// its workers draw at once.
    case wouldNotFitWithBatchPictures(needed: Int, available: Int, picture: Int)

    /// One line: what is needed, what is available, and the way out.
    public var errorDescription: String? {
        switch self {
        case .wouldNotFit(let needed, let available):
            "this run needs about \(Self.size(needed)), \(Self.size(available)) available; shorten the input, close other programs, or pass --force to try anyway"
        case .wouldNotFitWithPicture(let needed, let available, let picture):
            "this run needs about \(Self.size(needed)) (\(Self.size(picture)) of it to draw the PNG), \(Self.size(available)) available; "
                + "write a .pdf or .svg, draw the highest-scoring tokens (--top K), shorten the input, or pass --force to try anyway"
        case .wouldNotFitWithBatchPictures(let needed, let available, let picture):
            "this run needs about \(Self.size(needed)) (\(Self.size(picture)) of it to draw the PNGs of --pictures), \(Self.size(available)) available; "
                + "leave out --pictures, run fewer --workers, draw the highest-scoring tokens (--top K), or shorten the input"
        }
    }
}

extension MemoryCheckError {
    /// `12.3 GB`, or `456 MB` below a gigabyte (decimal units).
    static func size(_ bytes: Int) -> String {
        bytes >= 1_000_000_000 ? String(format: "%.1f GB", Double(bytes) / 1e9) : String(format: "%.0f MB", Double(bytes) / 1e6)
    }
}
