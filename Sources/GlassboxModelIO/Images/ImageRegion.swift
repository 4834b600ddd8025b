import Foundation

/// A rectangle of an image in that image's pixel coordinates: origin at the top-left corner of the
/// top-left pixel, x to the right, y down, one unit per pixel. Fractional where a resize maps
/// pixel edges between pixels; it may reach past the image where a center crop padded it.
/// Encoded as `{"x", "y", "width", "height"}`.
public struct ImageRegion: Codable, Sendable, Equatable {
    /// Left edge, in pixels from the image's left border (negative: left of the image).
    public var x: Double
    /// Top edge, in pixels from the image's top border (negative: above the image).
    public var y: Double
    /// Width in pixels (positive).
    public var width: Double
    /// Height in pixels (positive).
    public var height: Double

    /// A region from its fields, as listed above; nothing is checked (see `problem`).
    public init(x: Double, y: Double, width: Double, height: Double) {
        (self.x, self.y, self.width, self.height) = (x, y, width, height)
    }

    /// Why this region cannot be drawn, or nil: every value finite, width and height positive.
    public var problem: String? {
        guard [x, y, width, height].allSatisfy(\.isFinite) else { return "x, y, width and height must be finite numbers" }
        guard width > 0 && height > 0 else { return "width and height must be positive, got \(width) × \(height)" }
        return nil
    }
}
