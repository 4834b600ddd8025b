/// SplitMix64 (Steele, Lea & Flood 2014): a tiny seeded generator, so test inputs, benchmark
/// inputs and random fixtures are reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits: one SplitMix64 step (state advanced by the golden-ratio
    /// increment, then the mixing function).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Float in `range`.
    public mutating func uniform(_ range: ClosedRange<Float>) -> Float { Float.random(in: range, using: &self) }

    /// A tensor of the given shape with entries uniform in `range`.
    public mutating func tensor(_ shape: [Int], _ range: ClosedRange<Float> = -1...1) -> Tensor {
        Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in uniform(range) })
    }
}
