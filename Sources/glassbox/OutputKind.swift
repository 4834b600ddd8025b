import Foundation
import Glassbox

/// What an `--out` file name asks for, by its extension in any letter case: a picture in one of
/// the `OutputFormat`s (`.png`, `.svg`, `.pdf`) or an interactive page (`.html`, `.htm`). The one
/// table every destination check reads.
enum OutputKind: Equatable {
    case picture(OutputFormat)
    case page

    /// Every allowed extension (lower case) and what it writes.
    static let byExtension: [String: OutputKind] = Dictionary(
        uniqueKeysWithValues: OutputFormat.allCases.map { ($0.rawValue, OutputKind.picture($0)) } + [("html", .page), ("htm", .page)])

    /// The kind `url` names; nil for any other extension, or none.
    init?(_ url: URL) {
        guard let kind = Self.byExtension[url.pathExtension.lowercased()] else { return nil }
        self = kind
    }
}
