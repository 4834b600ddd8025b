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

/// A measuring process that stays alive between runs, so that two sides can be timed alternately
/// (one run of each, back to back, repeated) without either paying its start-up again. It prints one
/// JSON line when ready, one per `run` line written to its stdin, and a last one (its summary) when
/// stdin closes. Only one side computes at a time: the other waits on its stdin.
final class ServedProcess {
    /// The served side's half of the protocol: one JSON object per line on standard output.
    static func emit(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer = Data()
    /// The line it printed when ready.
    private(set) var ready: [String: Any] = [:]

    init(executable: String, arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        ready = try readLine()
    }

    /// One timed run; returns its line.
    func run() throws -> [String: Any] {
        input.fileHandleForWriting.write(Data("run\n".utf8))
        return try readLine()
    }

    /// Closes stdin, returns the summary line and waits for the exit.
    func finish() throws -> [String: Any] {
        try input.fileHandleForWriting.close()
        let last = try readLine()
        process.waitUntilExit()
        return last
    }

    /// Ends the process if it is still running (after an error).
    func stop() {
        if process.isRunning { process.terminate() }
    }

    private func readLine() throws -> [String: Any] {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[(newline + 1)...])
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                    FileHandle.standardError.write(Data("(\(process.executableURL?.lastPathComponent ?? "?")) ".utf8) + line + Data("\n".utf8))
                    continue                                          // not a JSON line: pass it on
                }
                return object
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty {
                process.waitUntilExit()
                throw ServedProcessError.ended("\(process.executableURL?.path ?? "?") \(process.arguments?.joined(separator: " ") ?? "") exited (status \(process.terminationStatus)) before answering")
            }
            buffer.append(chunk)
        }
    }
}

enum ServedProcessError: Error, CustomStringConvertible {
    case ended(String)
    var description: String { switch self { case .ended(let s): s } }
}
