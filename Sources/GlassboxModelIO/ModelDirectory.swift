import Foundation
import GlassboxFiles

/// The folder a `--model` argument names. Never touches the network.
///
/// `resolve` accepts:
/// - a path to a folder holding `config.json` (absolute, relative to the working directory, or
///   starting with `~`);
/// - a Hugging Face id, `ORG/NAME` or `NAME`, found in a local Hugging Face cache. Cache folders are
///   searched in order: `$HF_HUB_CACHE`, `$HF_HOME/hub`, `~/.cache/huggingface/hub` (each only if
///   set, duplicates removed). In a cache, `models--ORG--NAME/snapshots/<revision>/` is used, where
///   the revision is the one named by `models--ORG--NAME/refs/main` if that snapshot holds
///   `config.json`, else the most recently modified snapshot that does. A `refs/main` that is not
///   a revision name (a path, empty, not UTF-8) is an error, never a reason to pick another snapshot.
///
/// An existing path always wins over an id of the same spelling.
public struct ModelDirectory: Sendable, Equatable {
    /// How the folder was found.
    public enum Source: Sendable, Equatable {
        /// Named by a path.
        case folder
        /// Found in a Hugging Face cache under `id`.
        case huggingFaceCache(id: String)
    }

    /// The model folder (holds `config.json`).
    public let url: URL
    /// Whether `url` came from a path or a Hugging Face cache.
    public let source: Source

    /// A resolved folder from its fields, as listed above (nothing is checked).
    public init(url: URL, source: Source) {
        self.url = url
        self.source = source
    }

    /// Resolves `spec` (see the type's documentation); `environment` supplies `HOME`,
    /// `HF_HUB_CACHE` and `HF_HOME`.
    public static func resolve(
        _ spec: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ModelDirectory {
        let manager = FileManager.default
        let home = environment["HOME"] ?? NSHomeDirectory()
        let path = expandTilde(spec, home: home)
        var isFolder: ObjCBool = false
        if !spec.isEmpty, manager.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw ModelIOError.notAFolder(path: path) }
            let url = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
            guard manager.fileExists(atPath: url.appendingPathComponent("config.json").path) else {
                let contents = ((try? manager.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
                throw ModelIOError.missingConfig(folder: url.path, contents: contents)
            }
            return ModelDirectory(url: url, source: .folder)
        }
        guard isHuggingFaceID(spec) else { throw ModelIOError.pathNotFound(path: path) }

        let caches = cacheFolders(environment: environment, home: home)
        for cache in caches {
            let repo = cache.appendingPathComponent(cacheFolderName(forID: spec), isDirectory: true)
            // A refs/main that is not a revision name is a damaged cache: falling back to another
            // snapshot could load a different revision of the model without a word, so say so.
            if case .malformed(let content)? = mainRef(in: repo) {
                throw ModelIOError.malformedCacheRef(file: repo.appendingPathComponent("refs/main").path, content: content)
            }
            if let snapshot = snapshot(in: repo) {
                return ModelDirectory(url: snapshot, source: .huggingFaceCache(id: spec))
            }
        }
        throw ModelIOError.modelNotInCache(id: spec, searched: caches.map(\.path))
    }

    /// `name` inside the model folder, if it exists (symlinks followed, as in the HF cache).
    public func file(_ name: String) -> URL? {
        let candidate = url.appendingPathComponent(name)
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }

    // MARK: Hugging Face cache layout

    /// `models--ORG--NAME` for `ORG/NAME`, `models--NAME` for `NAME`.
    public static func cacheFolderName(forID id: String) -> String {
        "models--" + id.split(separator: "/").joined(separator: "--")
    }

    /// The cache folders `resolve` searches, in order.
    public static func cacheFolders(environment: [String: String], home: String? = nil) -> [URL] {
        let home = home ?? environment["HOME"] ?? NSHomeDirectory()
        var paths: [String] = []
        if let hub = environment["HF_HUB_CACHE"], !hub.isEmpty { paths.append(expandTilde(hub, home: home)) }
        if let hfHome = environment["HF_HOME"], !hfHome.isEmpty {
            paths.append((expandTilde(hfHome, home: home) as NSString).appendingPathComponent("hub"))
        }
        paths.append((home as NSString).appendingPathComponent(".cache/huggingface/hub"))
        var seen: Set<String> = []
        return paths.map { URL(fileURLWithPath: $0, isDirectory: true).standardizedFileURL }
            .filter { seen.insert($0.path).inserted }
    }

    /// The snapshot of a cached repo to use: `refs/main`'s if it holds config.json, else the most
    /// recently modified one that does (ties broken by name); `nil` if none.
    static func snapshot(in repo: URL) -> URL? {
        let manager = FileManager.default
        let snapshots = repo.appendingPathComponent("snapshots", isDirectory: true)
        func usable(_ url: URL) -> Bool { manager.fileExists(atPath: url.appendingPathComponent("config.json").path) }

        if case .revision(let revision)? = mainRef(in: repo) {
            let candidate = snapshots.appendingPathComponent(revision, isDirectory: true)
            if usable(candidate) { return candidate }
        }
        guard let names = try? manager.contentsOfDirectory(atPath: snapshots.path) else { return nil }
        let candidates = names.map { snapshots.appendingPathComponent($0, isDirectory: true) }.filter(usable)
        func modified(_ url: URL) -> Date {
            ((try? manager.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date) ?? .distantPast
        }
        return candidates.map { ($0, modified($0)) }
            .max { ($0.1, $0.0.lastPathComponent) < ($1.1, $1.0.lastPathComponent) }?.0
    }

    /// What a cached repo's `refs/main` holds.
    enum MainRef: Equatable {
        /// A revision name (a commit hash): letters, digits, `._-`, not `.` or `..`.
        case revision(String)
        /// Anything else (a path, empty, not UTF-8), as text for the message.
        case malformed(String)
    }

    /// `repo/refs/main`, trimmed; nil when there is none (or it cannot be read).
    static func mainRef(in repo: URL) -> MainRef? {
        guard let data = try? InputFile.read(repo.appendingPathComponent("refs/main"), limit: 4096) else { return nil }
        guard let text = String(data: data, encoding: .utf8) else { return .malformed("\(data.count) bytes that are not UTF-8") }
        let revision = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let plain = !revision.isEmpty && revision != "." && revision != ".."
            && revision.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
        return plain ? .revision(revision) : .malformed(String(revision.prefix(80)).debugDescription)
    }

    /// Whether `spec` is spelled like a Hub id: `NAME` or `ORG/NAME` of letters, digits, `-_.`,
    /// not starting with `.` or `-` (so `./x`, `../x` and `/x` are paths).
    static func isHuggingFaceID(_ spec: String) -> Bool {
        let parts = spec.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return false }
        return parts.allSatisfy { part in
            guard let first = part.first, first != ".", first != "-", part.count <= 96 else { return false }
            return part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        }
    }

    /// `~` and `~/…` expanded against `home`; other paths unchanged.
    static func expandTilde(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return (home as NSString).appendingPathComponent(String(path.dropFirst(2))) }
        return path
    }
}
