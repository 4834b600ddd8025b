import Foundation

extension ImageRegion {
    /// The same rectangle as the drawing code's `Rect` (image pixels), for `ImageOverlay.region`.
    public var rect: Rect { Rect(x: x, y: y, width: width, height: height) }
}
