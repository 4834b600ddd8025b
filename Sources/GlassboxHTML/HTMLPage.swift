import Foundation
import GlassboxRender

/// One self-contained interactive page: the result's data, the script and the style inline in a
/// single HTML file that opens from disk (`file://`) and fetches nothing. A Content-Security-Policy
/// meta tag (`default-src 'none'`, inline script and style only, images from `data:` only) makes
/// the browser refuse any request the page might try.
///
/// The view data is JSON in a `<script type="application/json">` element (never executed); the
/// page's script reads it, draws on canvases and writes what a test asked for (`#glassbox-test=…`,
/// see `PageScript`) into `#glassbox-test-state`. docs/html.md describes each kind of page.
public struct HTMLPage: Sendable {
    /// What the page shows; selects the view the script builds.
    public enum Kind: String, Sendable, CaseIterable {
        /// Token heatmap(s) of an explanation, with a method switch and the generated-tokens matrix.
        case explanation
        /// Head view, model view (layers × heads thumbnails) and neuron view of attention.
        case attention
        /// Logit lens table with the top-k tokens per cell.
        case lens
        /// Patching heatmaps (layers × positions, layers × heads, …).
        case patching
        /// Faithfulness curves (MoRF, LeRF) and the metrics table of an evaluation.
        case evaluation
    }

    /// The policy every page carries: nothing from the network, nothing but its own inline code.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

    /// The largest page written (bytes); bigger data is an error suggesting fewer layers or heads.
    public static let maximumBytes = 256 << 20

    /// The view.
    public let kind: Kind
    /// The page title (also the heading).
    public let title: String
    /// The view data as JSON (with `<`, `>` and `&` escaped so it cannot close its script element).
    public let json: String

    /// A page of `kind` showing `view` (a JSON-serialisable dictionary; the keys each kind reads
    /// are listed in docs/html.md). The colour tables of `Colormap.redBlue`, `.viridis` and
    /// `.blues` are added under `"colormaps"`, and the figures' fixed colours (`PageColors`) under
    /// `"colours"`, so the page colours values exactly as the PNGs do.
    public init(kind: Kind, title: String, view: [String: Any]) throws {
        let title = TokenText.visible(title)            // one line; controls and bidi overrides shown as code points
        var data = view
        data["kind"] = kind.rawValue
        data["title"] = title
        data["colormaps"] = ColorTable.standard
        data["colours"] = PageColors.standard
        guard JSONSerialization.isValidJSONObject(data) else {
            throw HTMLError.invalidInput("the \(kind.rawValue) page data holds values JSON cannot represent (NaN, ±infinity or a non-JSON type)")
        }
        let bytes = try JSONSerialization.data(withJSONObject: data, options: [.sortedKeys, .withoutEscapingSlashes])
        guard bytes.count <= Self.maximumBytes else { throw HTMLError.tooLarge(bytes: bytes.count, limit: Self.maximumBytes) }
        self.kind = kind
        self.title = title
        self.json = Self.scriptSafe(bytes)
    }

    /// The whole page, built once into a buffer reserved for it (the data can be hundreds of MB).
    public func html() -> String {
        let (parts, count) = assembly()
        var out = ""
        out.reserveCapacity(count)
        for part in parts { out += part }
        return out
    }

    /// Writes the page to `url` (replacing it), its bytes assembled once.
    public func write(to url: URL) throws {
        let (parts, count) = assembly()
        var bytes = Data(capacity: count)
        for var part in parts { part.withUTF8 { bytes.append($0) } }
        do { try bytes.write(to: url) } catch {
            throw HTMLError.unwritable(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }

    /// The page's parts in order (the frame's head, the data, the frame's tail; shared, not
    /// copied) and their total size in UTF-8 bytes, for one buffer of the final size.
    private func assembly() -> (parts: [String], bytes: Int) {
        let (head, tail) = frame()
        let parts = [head, json, tail]
        return (parts, parts.reduce(0) { $0 + $1.utf8.count })
    }

    /// The page around the data: everything before it (up to the data element's opening tag) and
    /// after it (from its closing tag: the script, the end of the document).
    private func frame() -> (head: String, tail: String) {
        let title = Self.escaped(title)
        let head = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(Self.contentSecurityPolicy)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="glassbox">
            <title>\(title)</title>
            <style>\(PageStyle.css)</style>
            </head>
            <body>
            <header><h1>\(title)</h1></header>
            <main id="glassbox-view" data-kind="\(kind.rawValue)"></main>
            <div id="glassbox-tooltip" hidden></div>
            <pre id="glassbox-test-state" hidden></pre>
            <script type="application/json" id="glassbox-data">
            """
        return (head, "</script>\n<script>" + PageScript.source + "</script>\n</body>\n</html>\n")
    }

    /// `text` with the HTML specials escaped, for element text and attribute values.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// UTF-8 JSON that cannot end its `<script>` element or open a comment: `<`, `>` and `&` as `\u`
    /// escapes (valid inside JSON strings, the only place they can appear; all three are ASCII,
    /// never part of a multi-byte character), written in one pass into a buffer of the final size.
    static func scriptSafe(_ json: Data) -> String {
        json.withUnsafeBytes { (source: UnsafeRawBufferPointer) -> String in
            func special(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "&") }
            let specials = source.reduce(0) { $0 + (special($1) ? 1 : 0) }
            let hex = Array("0123456789abcdef".utf8)
            return String(unsafeUninitializedCapacity: source.count + 5 * specials) { out in
                var i = 0
                for byte in source {
                    guard special(byte) else { out[i] = byte; i += 1; continue }
                    // `\u00XX`: six bytes for one.
                    out[i] = UInt8(ascii: "\\"); out[i + 1] = UInt8(ascii: "u"); out[i + 2] = UInt8(ascii: "0"); out[i + 3] = UInt8(ascii: "0")
                    out[i + 4] = hex[Int(byte >> 4)]; out[i + 5] = hex[Int(byte & 15)]
                    i += 6
                }
                return i
            }
        }
    }
}

/// Why a page could not be built or written.
public enum HTMLError: Error, LocalizedError, Equatable {
    /// The data for the page is inconsistent; the text says how.
    case invalidInput(String)
    /// The page would exceed `HTMLPage.maximumBytes`.
    case tooLarge(bytes: Int, limit: Int)
    /// The file cannot be written.
    case unwritable(path: String, reason: String)

    /// One readable line saying what to change.
    public var errorDescription: String? {
        switch self {
        case .invalidInput(let why): "cannot build the page: \(why)"
        case .tooLarge(let bytes, let limit):
            "the page would hold \(bytes >> 20) MB of data (at most \(limit >> 20) MB); choose fewer layers or heads (--layer, --head) or a shorter input"
        case .unwritable(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}
