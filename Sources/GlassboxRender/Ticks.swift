import Foundation

/// Round tick values for an axis or colour bar, and their labels.
struct Ticks {
    let values: [Double]
    let step: Double

    /// About `target` ticks at multiples of 1, 2, 2.5 or 5 × 10^k inside `lower…upper`.
    init(lower: Double, upper: Double, target: Int = 5) {
        guard upper > lower, lower.isFinite, upper.isFinite else { values = [lower]; step = 1; return }
        let raw = (upper - lower) / Double(max(target, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw * 0.999 } ?? 10 * magnitude
        let first = (lower / step).rounded(.up), last = (upper / step).rounded(.down)
        var values: [Double] = []
        var k = first
        while k <= last + 1e-9 { values.append(k * step == 0 ? 0 : k * step); k += 1 }
        (self.values, self.step) = (values, step)
    }

    /// Labelled ticks for a range whose ends must be shown (colour bars): the round ticks
    /// inside, with the ends replacing any round tick close to them. End labels get one more
    /// decimal when they are not round.
    static func withEnds(lower: Double, upper: Double, target: Int = 5) -> [(value: Double, label: String)] {
        let inner = Ticks(lower: lower, upper: upper, target: target)
        let near = (upper - lower) * 0.15
        var ticks = inner.values.filter { $0 - lower > near && upper - $0 > near }.map { ($0, inner.label($0)) }
        func endLabel(_ v: Double) -> String {
            let round = inner.label(v)
            return abs((Double(round.replacingOccurrences(of: "−", with: "-")) ?? v) - v) < 1e-9 * max(1, abs(v))
                ? round : format(v, step: inner.step / 10)
        }
        ticks.insert((lower, endLabel(lower)), at: 0)
        ticks.append((upper, endLabel(upper)))
        return ticks.map { (value: $0.0, label: $0.1) }
    }

    /// A label for `value` with as many decimals as the step needs (at most 4; powers of ten
    /// beyond that use exponent notation); "−" is a real minus sign.
    func label(_ value: Double) -> String { Ticks.format(value, step: step) }

    static func format(_ value: Double, step: Double) -> String {
        if value == 0 { return "0" }
        let magnitude = max(abs(value), step)
        if magnitude >= 1e5 || magnitude < 1e-4 {
            return String(format: "%.2g", value).replacingOccurrences(of: "-", with: "−")
        }
        var decimals = max(0, Int((-log10(step)).rounded(.up)))
        let scaled = step * pow(10, Double(decimals))
        if abs(scaled - scaled.rounded()) > 1e-6 * scaled { decimals += 1 }   // steps of 2.5·10^k
        let text = String(format: "%.\(min(decimals, 4))f", value)
        return text.hasPrefix("-") ? "−" + text.dropFirst() : text
    }
}
