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
            "this run needs about \(Self.size(needed, rounding: .up)), \(Self.size(available, rounding: .down)) available; shorten the input, close other programs, or pass --force to try anyway"
        case .wouldNotFitWithPicture(let needed, let available, let picture):
            "this run needs about \(Self.size(needed, rounding: .up)) (\(Self.size(picture)) of it to draw the PNG), \(Self.size(available, rounding: .down)) available; "
                + "write a .pdf or .svg, draw the highest-scoring tokens (--top K), shorten the input, or pass --force to try anyway"
        case .wouldNotFitWithBatchPictures(let needed, let available, let picture):
            "this run needs about \(Self.size(needed, rounding: .up)) (\(Self.size(picture)) of it to draw the PNGs of --pictures), \(Self.size(available, rounding: .down)) available; "
                + "leave out --pictures, run fewer --workers, draw the highest-scoring tokens (--top K), or shorten the input"
        }
    }
}

extension MemoryCheckError {
    /// `12.3 GB` (to 0.1 GB), or `456 MB` (to 1 MB) below a gigabyte (decimal units), rounded by
    /// `rule`. The refusals round the need up and what is available down, so the need always
    /// prints larger (74.2 MB needed, 74.1 MB available: `75 MB`, `74 MB`, never `74 MB` twice).
    public static func size(_ bytes: Int, rounding rule: FloatingPointRoundingRule = .toNearestOrEven) -> String {
        bytes >= 1_000_000_000
            ? String(format: "%.1f GB", (Double(bytes) / 1e8).rounded(rule) / 10)
            : String(format: "%.0f MB", (Double(bytes) / 1e6).rounded(rule))
    }
}
