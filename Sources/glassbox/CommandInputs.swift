import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The files a run reads as its input — `--prompt-file`, `--image`, `--corpus`, an `evaluate
/// --images` file, the image a `render` result names — so that no output of the run replaces one
/// of them (`explain --image cat.png --out cat.png` drew the explanation over the photograph and
/// `neurons --corpus c.svg --out c.svg` replaced the corpus, as `batch` and `evaluate` already
/// refused for their `--in` and `--prompts`). `ModelFiles.refuse`, which every output passes
/// (`OutputTransaction.checkDestination` before anything is drawn and again at `commit()`),
/// consults it. Files are told apart by device and inode, which symbolic and hard links share,
/// so the check costs one `stat` whatever the number of inputs (a batch of images).
enum CommandInputs {
    private struct FileID: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    private static let lock = NSLock()
    /// What each input file read so far is (`"--image file"`), as the refusal names it.
    nonisolated(unsafe) private static var inputs: [FileID: String] = [:]

    /// Records the file at `path` (`~` expanded) as an input, `what` saying which (`"--image
    /// file"`, `"--prompt-file"`); a path that names no regular file is left out (reading it
    /// fails on its own, and a device such as `/dev/null` is written through, never replaced).
    static func record(_ path: String, as what: String) {
        guard let id = fileID(path, regularOnly: true) else { return }
        lock.withLock { if inputs[id] == nil { inputs[id] = what } }
    }

    /// Throws bad usage (exit 2) when the output `output` (named by `option`) is a file this run
    /// reads as its input.
    static func refuse(output: String, option: String) throws {
        guard let id = fileID(output), let input = lock.withLock({ inputs[id] }) else { return }
        throw UsageMistake("\(option) \(output) is the \(input) of this run; writing it would destroy "
                           + "the input: choose another \(option)")
    }

    /// Device and inode of the file `path` names (symbolic links followed), nil when there is none
    /// (or, with `regularOnly`, when it is not a regular file).
    private static func fileID(_ path: String, regularOnly: Bool = false) -> FileID? {
        var info = stat()
        guard stat((path as NSString).expandingTildeInPath, &info) == 0 else { return nil }
        if regularOnly, (info.st_mode & S_IFMT) != S_IFREG { return nil }
        return FileID(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}
