/// A rectangle in points, origin at the top left of the picture.
public struct Rect: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Top-left corner and size, in points (y grows downwards).
    public var x, y, width, height: Double

    /// A rectangle from its top-left corner and size.
    public init(x: Double, y: Double, width: Double, height: Double) {
        (self.x, self.y, self.width, self.height) = (x, y, width, height)
    }

    /// Right edge, `x + width`.
    public var maxX: Double { x + width }
    /// Bottom edge, `y + height`.
    public var maxY: Double { y + height }
    /// Horizontal centre.
    public var midX: Double { x + width / 2 }
    /// Vertical centre.
    public var midY: Double { y + height / 2 }

    /// The smallest rectangle holding both.
    public func union(_ other: Rect) -> Rect {
        let x0 = min(x, other.x), y0 = min(y, other.y)
        return Rect(x: x0, y: y0, width: max(maxX, other.maxX) - x0, height: max(maxY, other.maxY) - y0)
    }

    /// The rectangle shrunk by `dx` on the left and right and `dy` at the top and bottom
    /// (grown for negative insets).
    public func insetBy(_ dx: Double, _ dy: Double) -> Rect {
        Rect(x: x + dx, y: y + dy, width: width - 2 * dx, height: height - 2 * dy)
    }

    /// Whether `other` lies inside this rectangle, edges allowed to overshoot by `tolerance`
    /// points.
    public func contains(_ other: Rect, tolerance: Double = 0.01) -> Bool {
        other.x >= x - tolerance && other.y >= y - tolerance
            && other.maxX <= maxX + tolerance && other.maxY <= maxY + tolerance
    }

    /// `(x, y, width×height)`, for messages.
    public var description: String { "(\(x), \(y), \(width)×\(height))" }
}

/// A size in points.
public struct Size: Sendable, Equatable {
    /// Extent in points.
    public var width, height: Double
    /// A size from its width and height in points.
    public init(width: Double, height: Double) { (self.width, self.height) = (width, height) }
}
