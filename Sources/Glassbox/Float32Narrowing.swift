/// A saved result's number narrowed to the float32 glassbox computes and draws in. A number
/// beyond float32's range (about ±3.4e38) was not written by glassbox, and drawn it would be ±∞:
/// a saturated cell, a scale that ignores it, a page carrying the original number. Readers narrow
/// with `narrow` and refuse with `refusal`, so every result kind says it alike.
public enum Float32Narrowing {
    /// `value` as a float32 when it is finite after narrowing (rounding to the nearest float32),
    /// else nil.
    public static func narrow(_ value: Double) -> Float? {
        let narrowed = Float(value)
        return narrowed.isFinite ? narrowed : nil
    }

    /// Why `value` at `place` (`token 2`, `matrix[1][2]`) is refused, `what` naming the kind of
    /// number (`score`, `weight`): "token 2's score 1e+39 is not a finite 32-bit float".
    public static func refusal(_ value: Double, at place: String, what: String) -> String {
        "\(place)'s \(what) \(value) is not a finite 32-bit float"
    }
}
