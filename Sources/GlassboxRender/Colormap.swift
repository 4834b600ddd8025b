import Foundation

/// A colour map as data: colours at evenly spaced positions 0…1, interpolated linearly in sRGB
/// between neighbours (the same interpolation Cairo's gradients use, so colour bars drawn as
/// gradients match the cells exactly).
public struct Colormap: Sendable, Equatable {
    /// Display name (`RdBu`, `viridis`, `Blues`, …).
    public let name: String
    /// Colours at positions `0, 1/(n−1), …, 1`; at least two.
    public let stops: [RGBA]
    /// Whether the map is centred on a neutral middle (diverging) or runs from low to high.
    public let isDiverging: Bool

    /// A colour map from at least two stops.
    public init(name: String, stops: [RGBA], isDiverging: Bool) throws {
        guard stops.count >= 2 else { throw RenderError.invalidInput("colour map \(name) needs at least two stops, got \(stops.count)") }
        self.init(unchecked: name, stops, isDiverging)
    }

    init(unchecked name: String, _ stops: [RGBA], _ isDiverging: Bool) {
        (self.name, self.stops, self.isDiverging) = (name, stops, isDiverging)
    }

    /// The colour at position `t` (clamped to 0…1); NaN gives `Theme.masked`.
    public func color(at t: Double) -> RGBA {
        guard !t.isNaN else { return Theme.masked }
        let s = min(max(t, 0), 1) * Double(stops.count - 1)
        let i = min(Int(s), stops.count - 2)
        return stops[i].mixed(with: stops[i + 1], s - Double(i))
    }

    /// Blue (negative) → white (zero) → red (positive): ColorBrewer RdBu with a pure white centre.
    /// For signed scores (relevance, logit differences) on a symmetric range.
    public static let redBlue = Colormap(unchecked: "RdBu", [
        0x053061, 0x2166AC, 0x4393C3, 0x92C5DE, 0xD1E5F0, 0xFFFFFF, 0xFDDBC7, 0xF4A582, 0xD6604D, 0xB2182B, 0x67001F,
    ].map { RGBA(hex: $0) }, true)

    /// Matplotlib's viridis at 17 evenly spaced positions: perceptually uniform, readable in grey.
    public static let viridis = Colormap(unchecked: "viridis", [
        0x440154, 0x48186A, 0x472D7B, 0x424086, 0x3B528B, 0x33638D, 0x2C728E, 0x26828E, 0x21918C,
        0x1FA088, 0x28AE80, 0x3FBC73, 0x5EC962, 0x84D44B, 0xADDC30, 0xD8E219, 0xFDE725,
    ].map { RGBA(hex: $0) }, false)

    /// Matplotlib's Blues at 17 evenly spaced positions: near white at 0, dark blue at 1.
    public static let blues = Colormap(unchecked: "Blues", [
        0xF7FBFF, 0xEAF3FB, 0xDEEBF7, 0xD2E3F3, 0xC6DBEF, 0xB2D2E8, 0x9DCAE1, 0x84BCDB, 0x6AAED6,
        0x56A0CE, 0x4191C6, 0x3181BD, 0x2070B4, 0x1460A8, 0x08509B, 0x084082, 0x08306B,
    ].map { RGBA(hex: $0) }, false)
}

/// Maps values to colours: a colour map over a value range. Diverging scales are symmetric
/// around zero (`−limit…limit`), so zero is always the map's middle (white for `redBlue`).
public struct ColorScale: Sendable, Equatable {
    /// The colours from `lower` (position 0) to `upper` (position 1).
    public let colormap: Colormap
    /// The value drawn with the map's first colour; smaller values are clamped to it.
    public let lower: Double
    /// The value drawn with the map's last colour; larger values are clamped to it.
    public let upper: Double

    /// A scale over `lower…upper` (upper > lower).
    public init(colormap: Colormap, lower: Double, upper: Double) throws {
        guard lower.isFinite, upper.isFinite, upper > lower else {
            throw RenderError.invalidInput("a colour scale needs finite ends with lower < upper, got \(lower)…\(upper)")
        }
        self.init(unchecked: colormap, lower, upper)
    }

    init(unchecked colormap: Colormap, _ lower: Double, _ upper: Double) {
        (self.colormap, self.lower, self.upper) = (colormap, lower, upper)
    }

    /// A zero-centred diverging scale over `−limit…limit`.
    public static func diverging(limit: Double, colormap: Colormap = .redBlue) -> ColorScale {
        let l = limit.isFinite && limit > 0 ? limit : 1
        return ColorScale(unchecked: colormap, -l, l)
    }

    /// A zero-centred diverging scale whose limit is the largest |value| (1 when all are zero).
    public static func diverging(fitting values: some Sequence<Double>, colormap: Colormap = .redBlue) -> ColorScale {
        diverging(limit: values.reduce(0) { $1.isFinite ? max($0, abs($1)) : $0 }, colormap: colormap)
    }

    /// A sequential scale over the fixed range 0…1 (attention weights, probabilities), so that
    /// pictures of different heads or layers are comparable.
    public static func unit(_ colormap: Colormap = .viridis) -> ColorScale {
        ColorScale(unchecked: colormap, 0, 1)
    }

    /// The position of `value` on the map, 0…1 (clamped; NaN stays NaN).
    public func position(_ value: Double) -> Double {
        value.isNaN ? .nan : min(max((value - lower) / (upper - lower), 0), 1)
    }

    /// The colour of `value`; NaN gives the masked colour.
    public func color(_ value: Double) -> RGBA { colormap.color(at: position(value)) }
}
