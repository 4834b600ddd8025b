import Foundation

/// Output helpers: results on stdout, messages on stderr (so `--json` stdout stays one object).
enum Console {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data(("glassbox: error: " + message + "\n").utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Prints one JSON value on stdout (sorted keys, so output is stable).
    static func json(_ object: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}
