import Foundation

/// What a run of the `glassbox` executable printed.
public struct CommandOutput {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    /// Non-empty lines of stderr.
    public var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
}

/// The built `glassbox` executable (next to the test bundle in the build folder), or the one
/// `GLASSBOX_TEST_EXECUTABLE` names (to run the CLI tests against another build).
public func glassboxExecutable() throws -> URL {
    if let path = ProcessInfo.processInfo.environment["GLASSBOX_TEST_EXECUTABLE"], !path.isEmpty {
        return URL(fileURLWithPath: path)
    }
    let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [products, Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        .map { $0.appendingPathComponent("glassbox") }
    guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw NSError(domain: "glassbox-tests", code: 1, userInfo: [NSLocalizedDescriptionKey:
            "glassbox executable not found next to the tests (looked in \(candidates.map(\.path))); run `swift build` first"])
    }
    return executable
}

/// Runs `script` with `/bin/sh -c`, `$GLASSBOX` naming the executable, in the checkout's root, under
/// `timeout` (a hang is status 124): for what `Process` cannot express — raw bytes in arguments,
/// `> /dev/full`, pipes into `head`. The script's own stdout and stderr are returned.
public func runGlassboxShell(_ script: String, timeout seconds: Int = 60) throws -> CommandOutput {
    var environment = ProcessInfo.processInfo.environment
    environment["GLASSBOX"] = try glassboxExecutable().path
    return try runProcess(URL(fileURLWithPath: "/usr/bin/timeout"), ["-k", "5", "\(seconds)", "/bin/sh", "-c", script],
                          in: Fixtures.root, environment: environment)
}

/// Runs the built `glassbox` executable (see ``glassboxExecutable()``).
public func runGlassbox(_ arguments: [String], environment: [String: String]? = nil) throws -> CommandOutput {
    try runProcess(try glassboxExecutable(), arguments, in: Fixtures.root, environment: environment)
}

/// Runs `executable` with `arguments` in `directory` (with `environment`, or the test's own) and
/// returns its exit status and output. Both pipes are read before waiting, so a large output
/// cannot block the child.
public func runProcess(_ executable: URL, _ arguments: [String], in directory: URL,
                       environment: [String: String]? = nil) throws -> CommandOutput {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandOutput(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}
