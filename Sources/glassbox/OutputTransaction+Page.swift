import Foundation
import Glassbox

/// `--out FILE.html`: an interactive page instead of a picture, staged like the pictures (all or
/// nothing).
extension OutputTransaction {
    /// Whether `url` names a page (`.html` or `.htm`, any case).
    static func isPage(_ url: URL) -> Bool { OutputKind(url) == .page }

    /// What the line naming a written file calls it: `page` for a page, else `picture`.
    static func label(of url: URL) -> String { isPage(url) ? "page" : "picture" }

    /// The line naming a written file (docs/cli.md): `page: FILE.html` or `picture: FILE`.
    static func line(naming url: URL) -> String { "\(label(of: url)): \(url.path)" }

    /// Where pictures drawn beside `url` go: `url` itself, or the same name as `.png` beside a page.
    static func pictureBase(beside url: URL) -> URL {
        isPage(url) ? url.deletingPathExtension().appendingPathExtension("png") : url
    }

    /// Builds and stages `page()` for a `.html` destination, else draws `figure()` (format by the
    /// extension). Only the one that is written is built. Returns the picture's report (nil for a page).
    @discardableResult
    func write(figure: () throws -> any Figure, page: () throws -> HTMLPage, to destination: URL) throws -> RenderReport? {
        guard Self.isPage(destination) else { return try render(try figure(), to: destination) }
        try Self.checkDestination(destination)
        let built: HTMLPage
        do { built = try page() } catch let problem as JSONField.Problem { throw HTMLError.invalidInput(problem.detail) }
        try built.write(to: try stage(destination))
        return nil
    }
}

/// An `.html` `--out` given to a command that has no page.
struct NoPage: Error, LocalizedError {
    var errorDescription: String? {
        "this command draws no interactive page; .html pages come from \(ResultPages.kinds.joined(separator: ", ")) and render; use a .png, .svg or .pdf file name"
    }
}
