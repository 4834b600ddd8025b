/// Categorical colours for heads and curves: d3's category10 (what BertViz uses), then its
/// light companions from category20, then repeating.
public enum Palette {
    /// The 20 colours in order: category10, then the light halves of category20.
    public static let categorical: [RGBA] = [
        0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD, 0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF,
        0xAEC7E8, 0xFFBB78, 0x98DF8A, 0xFF9896, 0xC5B0D5, 0xC49C94, 0xF7B6D2, 0xC7C7C7, 0xDBDB8D, 0x9EDAE5,
    ].map { RGBA(hex: $0) }

    /// The colour of item `index` (cycling after 20).
    public static func color(_ index: Int) -> RGBA { categorical[((index % categorical.count) + categorical.count) % categorical.count] }
}
