import Foundation

extension TopTokens {
    /// Points a line takes at most on average: its label (about 130 points), then `2·context + 1`
    /// chips and two "…" marks of about 75 points each, 27 points tall. Measured: 600 lines of
    /// short tokens with 6 either side took 779 × 15,802 points.
    static func boundLineArea(context: Int) -> Double {
        (130 + Double(2 * max(0, context) + 3) * 75) * 27
    }

    /// An upper bound on the memory of the PNG drawing surface of a list of `lines` lines with
    /// `context` tokens either side at `scale` pixels per point (4 bytes per pixel), for memory
    /// checks made before the scores exist; at most the largest surface a PNG is drawn on
    /// (`Canvas.maximumPixels`).
    public static func pngBytesBound(lines: Int, context: Int = 6, scale: Double = 2) -> Int {
        Canvas.pngSurfaceBytes(points: Double(max(0, lines)) * boundLineArea(context: context) + TokenStrip.boundFixedArea,
                               scale: scale)
    }
}
