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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            FileHandle.standardError.write(Data("the reference \(script) failed (exit \(process.terminationStatus))\n".utf8))
            return nil
        }
        return object
    }
}
