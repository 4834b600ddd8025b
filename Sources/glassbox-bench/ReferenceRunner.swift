import Foundation

/// Runs a Python reference script (after the Swift timing, never alongside it) and reads the one
/// JSON object it prints as its last line.
enum ReferenceRunner {
    /// `nil`, with a message on stderr, when the Python is missing or the script fails.
    static func run(python: String, script: String, arguments: [String]) throws -> [String: Any]? {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            FileHandle.standardError.write(Data("no reference Python at \(python); build it with make-ref-venv.sh or pass --python\n".utf8))
            return nil
        }
        guard let object = try lastJSONLine(executable: python, arguments: [script] + arguments) else {
            FileHandle.standardError.write(Data("the reference \(script) failed\n".utf8))
            return nil
        }
        return object
    }

    /// Runs `executable` (with `environment` added to this process's) and parses the last line
    /// it prints as a JSON object; `nil` when it exits non-zero or that line is not one.
    static func lastJSONLine(executable: String, arguments: [String],
                             environment: [String: String] = [:]) throws -> [String: Any]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    }
}
