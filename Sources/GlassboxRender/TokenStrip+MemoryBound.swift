import Foundation

extension TokenStrip {
    /// Square points a token takes on average at most in a strip: a chip of about 75 × 27 points
    /// with its gaps (the default 13-point font and 640-point lines). Measured: 16,384 short tokens
    /// took about 990 each (1,004 × 15,828 points).
    static let boundAreaPerToken = 2_000.0
    /// The rest of the picture: margins, title, colour bar and legend.
    static let boundFixedArea = 800.0 * 300

    /// An upper bound on the memory of the PNG drawing surface of a strip of `tokens` tokens at
    /// `scale` pixels per point (4 bytes per pixel), for memory checks made before the scores
    /// exist: `boundAreaPerToken` per token plus `boundFixedArea`, at most the largest surface a
    /// PNG is drawn on (`Canvas.maximumPixels`; larger pictures are refused before drawing).
    public static func pngBytesBound(tokens: Int, scale: Double = 2) -> Int {
        Canvas.pngSurfaceBytes(points: Double(max(0, tokens)) * boundAreaPerToken + boundFixedArea, scale: scale)
    }
}
