extension Float {
    /// The Double of this Float's shortest decimal (`Float(1e-6)` gives `1e-06`, not the
    /// `9.999999974752427e-07` that widening gives): for JSON numbers that are settings a user
    /// typed or a default written in decimal, and for float32 results written as their digits.
    var shortestDecimal: Double { Double(description) ?? Double(self) }
}
