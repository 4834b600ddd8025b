import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether two paths name one file, so a command that reads one and writes the other would
/// destroy its own input (`batch --in X --out X --overwrite` truncates X before reading it).
enum SameFile {
    /// True when `a` and `b` resolve (`~`, symlinks, `..`) to the same path, or both exist and have
    /// the same device and inode (hard links, bind mounts).
    static func check(_ a: String, _ b: String) -> Bool {
        // `~` expanded as the commands' readers and `PictureOutput.url` expand it.
        let (a, b) = ((a as NSString).expandingTildeInPath, (b as NSString).expandingTildeInPath)
        let resolvedA = URL(fileURLWithPath: a).resolvingSymlinksInPath().path
        let resolvedB = URL(fileURLWithPath: b).resolvingSymlinksInPath().path
        if resolvedA == resolvedB { return true }
        var statA = stat(), statB = stat()
        guard stat(a, &statA) == 0, stat(b, &statB) == 0 else { return false }
        return statA.st_dev == statB.st_dev && statA.st_ino == statB.st_ino
    }

    /// Throws bad usage (exit 2) when the output `output` (named by `outputOption`) is the input
    /// file `input` (named by `inputOption`).
    static func refuse(output: String, outputOption: String, input: String, inputOption: String) throws {
        if check(input, output) {
            throw UsageMistake("\(outputOption) \(output) is the same file as \(inputOption) \(input); writing it would destroy the input: choose another \(outputOption)")
        }
    }
}
