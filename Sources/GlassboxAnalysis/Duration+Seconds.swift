extension Duration {
    /// This duration in seconds: whole seconds plus attoseconds × 1e-18.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
