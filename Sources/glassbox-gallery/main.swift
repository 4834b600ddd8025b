// Renders one picture of every kind GlassboxRender draws, from fixed synthetic data, into
// docs/gallery/ (or FOLDER) for the README; `--format svg` or `pdf` writes vector versions.
//
//     swift run glassbox-gallery [FOLDER] [--format png|svg|pdf]
//
// The data is made up but shaped like the real thing (softmax attention with causal masks,
// signed relevance, lens probabilities); a seeded generator keeps every run identical.
import Foundation
import GlassboxRender

func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("glassbox-gallery: \(message)\n".utf8))
    exit(code)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var format = "png"
if let i = arguments.firstIndex(of: "--format") {
    guard i + 1 < arguments.count, ["png", "svg", "pdf"].contains(arguments[i + 1]) else {
        fail("--format takes png, svg or pdf", code: 2)
    }
    format = arguments[i + 1]
    arguments.removeSubrange(i...(i + 1))
}
guard arguments.count <= 1, !(arguments.first?.hasPrefix("-") ?? false) else {
    fail("usage: glassbox-gallery [FOLDER] [--format png|svg|pdf]", code: 2)
}
let folder = URL(fileURLWithPath: arguments.first ?? "docs/gallery", isDirectory: true)

do {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (name, figure, scale) in try Gallery.figures() {
        let url = folder.appendingPathComponent(name).deletingPathExtension().appendingPathExtension(format)
        let report = try figure.render(to: url, scale: scale)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        let size = String(format: "%4.0f × %-4.0f pt  %4d KB", report.size.width, report.size.height, bytes / 1024)
        print(url.lastPathComponent.padding(toLength: 26, withPad: " ", startingAt: 0) + size)
        for warning in report.warnings { print("  warning: \(warning)") }
    }
} catch {
    fail(error.localizedDescription, code: 1)
}
