import GlassboxRender

/// Colour maps as 256-entry tables for the page script: entry `i` is `Colormap.color(at: i / 255)`
/// as six hex digits, so the page colours a value at scale position `t` with entry `round(255·t)`:
/// the PNG's colour to within 1/255 of the scale.
public enum ColorTable {
    /// The 256 colours of `colormap`, `rrggbb` each, concatenated (1,536 characters).
    public static func hex(_ colormap: Colormap) -> String {
        var out = ""
        out.reserveCapacity(256 * 6)
        for i in 0..<256 { out += digits(colormap.color(at: Double(i) / 255)) }
        return out
    }

    /// `color` as six lowercase hex digits `rrggbb` (its rounded bytes; alpha dropped).
    public static func digits(_ color: RGBA) -> String {
        let b = color.bytes
        var out = ""
        for byte in [b.r, b.g, b.b] { out.append(hexDigits[Int(byte >> 4)]); out.append(hexDigits[Int(byte & 15)]) }
        return out
    }

    /// `color` as a CSS colour `#rrggbb`.
    public static func css(_ color: RGBA) -> String { "#" + digits(color) }

    private static let hexDigits = Array("0123456789abcdef")

    /// The tables every page carries, by the colour map's name: `RdBu` (signed scores),
    /// `viridis` (attention weights, 0…1) and `Blues` (lens probabilities, 0…1).
    public static let standard: [String: String] =
        Dictionary(uniqueKeysWithValues: [Colormap.redBlue, .viridis, .blues].map { ($0.name, hex($0)) })
}
