import GlassboxRender

/// The figures' fixed colours as the page script reads them (under `"colours"` in every page's
/// data), so a page and a PNG of the same result agree: head `h` is `Palette.color(h)`, a cell with
/// no value is `Theme.masked`, and text on a coloured cell follows `RGBA.contrastingText`.
public enum PageColors {
    /// The data every page carries:
    /// - `categorical`: `Palette.categorical` as `#rrggbb` (the script cycles it as `Palette.color` does);
    /// - `masked`: `Theme.masked`;
    /// - `ink`: the two inks of `RGBA.contrastingText`, `dark` (`Theme.text`) and `light` (white),
    ///   and `darkLuminance` (`Theme.textLuminance`), the luminance the rule takes for the dark ink.
    public static var standard: [String: Any] {
        ["categorical": Palette.categorical.map(ColorTable.css), "masked": ColorTable.css(Theme.masked),
         "ink": ["dark": ColorTable.css(Theme.text), "light": ColorTable.css(.white), "darkLuminance": Theme.textLuminance] as [String: Any]]
    }
}
