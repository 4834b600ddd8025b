import Foundation

/// A colour in sRGB with components in 0…1 (alpha 1 is opaque).
public struct RGBA: Sendable, Equatable, Hashable {
    /// Components in 0…1 (sRGB, not premultiplied); alpha 0 is transparent.
    public var red, green, blue, alpha: Double

    /// A colour from components in 0…1 (not clamped).
    public init(_ red: Double, _ green: Double, _ blue: Double, _ alpha: Double = 1) {
        (self.red, self.green, self.blue, self.alpha) = (red, green, blue, alpha)
    }

    /// A colour from a 24-bit `0xRRGGBB` literal.
    public init(hex: UInt32, alpha: Double = 1) {
        self.init(Double((hex >> 16) & 0xFF) / 255, Double((hex >> 8) & 0xFF) / 255, Double(hex & 0xFF) / 255, alpha)
    }

    /// Opaque white.
    public static let white = RGBA(1, 1, 1)
    /// Opaque black.
    public static let black = RGBA(0, 0, 0)
    /// Fully transparent.
    public static let clear = RGBA(0, 0, 0, 0)

    /// The same colour with another alpha.
    public func withAlpha(_ alpha: Double) -> RGBA { RGBA(red, green, blue, alpha) }

    /// Componentwise linear interpolation in sRGB (what Cairo gradients do between stops).
    public func mixed(with other: RGBA, _ t: Double) -> RGBA {
        RGBA(red + (other.red - red) * t, green + (other.green - green) * t,
             blue + (other.blue - blue) * t, alpha + (other.alpha - alpha) * t)
    }

    /// WCAG relative luminance (0 black … 1 white).
    public var luminance: Double {
        func linear(_ c: Double) -> Double { c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4) }
        return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    }

    /// Dark or light text, whichever contrasts more with this background: `Theme.text` when the
    /// WCAG contrast ratio against it (luminance `Theme.textLuminance`) is at least the one against
    /// white (luminance 1), else white. The interactive pages apply the same rule (`inkOn`).
    public var contrastingText: RGBA {
        let l = luminance
        return (l + 0.05) / (Theme.textLuminance + 0.05) >= (1 + 0.05) / (l + 0.05) ? Theme.text : .white
    }

    /// 8-bit components, rounded.
    public var bytes: (r: UInt8, g: UInt8, b: UInt8, a: UInt8) {
        func byte(_ c: Double) -> UInt8 { UInt8((min(max(c, 0), 1) * 255).rounded()) }
        return (byte(red), byte(green), byte(blue), byte(alpha))
    }
}
