import GlassboxRender

/// Colour maps as 256-entry tables for the page script: entry `i` is `Colormap.color(at: i / 255)`
/// as six hex digits, so the page colours a value at scale position `t` with entry `round(255·t)`:
/// the PNG's colour to within 1/255 of the scale.
public enum ColorTable {
    /// The 256 colours of `colormap`, `rrggbb` each, concatenated (1,536 characters).
    public static func hex(_ colormap: Colormap) -> String {
        var out = ""
        out.reserveCapacity(256 * 6)
        let digits = Array("0123456789abcdef")
        for i in 0..<256 {
            let b = colormap.color(at: Double(i) / 255).bytes
            for byte in [b.r, b.g, b.b] { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
        }
        return out
    }

    /// The tables every page carries, by the colour map's name: `RdBu` (signed scores),
    /// `viridis` (attention weights, 0…1) and `Blues` (lens probabilities, 0…1).
    public static let standard: [String: String] =
        Dictionary(uniqueKeysWithValues: [Colormap.redBlue, .viridis, .blues].map { ($0.name, hex($0)) })
}
