import Foundation
import GlassboxModelIO

extension ImageRegion {
    /// How many times the image's longer side a value of a region may be: a crop pads an image
    /// by a fraction of its side, so anything near this was not written by `explain`.
    static let sideMultipleLimit = 1e6

    /// Why this region cannot be drawn over a `width × height` image, or nil: `problem`, then a
    /// value beyond ``sideMultipleLimit`` × the longer side, then a rectangle that does not overlap
    /// the image (it would draw no scores and no outline under a caption saying it outlines them).
    public func problem(imageWidth width: Int, imageHeight height: Int) -> String? {
        if let problem { return problem }
        let side = Double(max(width, height)), limit = Self.sideMultipleLimit * side
        if [x, y, self.width, self.height].contains(where: { abs($0) > limit }) {
            return "x \(x), y \(y), width \(self.width), height \(self.height): a value is over 10⁶ × the image's side (\(max(width, height)) pixels)"
        }
        guard x < Double(width) && x + self.width > 0 && y < Double(height) && y + self.height > 0 else {
            return "the rectangle x \(x), y \(y), \(self.width) × \(self.height) does not overlap the \(width) × \(height) image"
        }
        return nil
    }
}

/// A record's `extra.patchRegion` that cannot be drawn over its image (`detail` says why); the
/// command that read the record names its file.
public struct ImageRegionProblem: Error, LocalizedError {
    /// Why, in words (``ImageRegion/problem(imageWidth:imageHeight:)``).
    public let detail: String

    /// One line: the key and why.
    public var errorDescription: String? { "extra.patchRegion: \(detail)" }
}
