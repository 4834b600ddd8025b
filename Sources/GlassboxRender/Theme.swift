/// The house style: fonts, sizes and neutral colours shared by every figure.
public enum Theme {
    /// The font family; fontconfig falls back per glyph to whatever installed font has it
    /// (CJK and emoji fonts, when installed).
    static let family = "DejaVu Sans"

    /// Ink for text: the dark choice of `RGBA.contrastingText` (the light one is white).
    public static let text = RGBA(hex: 0x1A1A1A)
    /// The relative luminance `RGBA.contrastingText` takes for `text`: 0.010, rounded on purpose (the
    /// value the rule has always used; #1a1a1a's own is 0.0103), so the pages' ink rule is the same.
    public static let textLuminance = 0.010
    static let mutedText = RGBA(hex: 0x555555)
    static let axis = RGBA(hex: 0x444444)
    static let grid = RGBA(hex: 0xE3E3E3)
    static let frame = RGBA(hex: 0xBBBBBB)
    static let background = RGBA.white
    /// Cells with no value (the causal upper triangle, NaN): a light grey under a hatch.
    public static let masked = RGBA(hex: 0xF0F0F0)
    static let hatch = RGBA(hex: 0xC8C8C8)

    static let titleSize = 14.0
    static let labelSize = 10.0
    static let tickSize = 9.0
    static let margin = 14.0
}
