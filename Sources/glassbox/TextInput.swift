import ArgumentParser
import Foundation
import Glassbox

/// Text the user gives that is not valid UTF-8: an error at the first bad byte, unless
/// `--replace-invalid-utf8` asks for U+FFFD in its place (in the prompt only).
enum InvalidUTF8: Error, LocalizedError {
    /// Command-line argument `index` (1 = the first after `glassbox`); `hint` says what the command
    /// offers (`--replace-invalid-utf8`, or that it replaces bytes of the prompt only), if anything.
    case argument(index: Int, offset: Int, byte: UInt8, preview: String, hint: ArgumentHint = .none)
    /// A file, at byte `offset`; `replaceable` when the command has `--replace-invalid-utf8` for it
    /// (a corpus), else the message only asks to fix the file (`evaluate --prompts`).
    case file(path: String, offset: Int, byte: UInt8, replaceable: Bool = true)

    /// What an argument's message adds after "fix the text".
    enum ArgumentHint {
        /// The command has no `--replace-invalid-utf8`: nothing.
        case none
        /// The command has it and it was not given: suggest it.
        case replaceOption
        /// It was given, but this argument is not the prompt (a path, an option's value).
        case promptOnly

        /// The words after "fix the text".
        var text: String {
            switch self {
            case .none: ""
            case .replaceOption: " or pass --replace-invalid-utf8 to replace invalid bytes with U+FFFD"
            case .promptOnly: " (--replace-invalid-utf8 replaces invalid bytes in the prompt only)"
            }
        }
    }

    var errorDescription: String? {
        switch self {
        case let .argument(index, offset, byte, preview, hint):
            "argument \(index) (\(preview.debugDescription)) is not valid UTF-8: byte \(String(format: "0x%02X", byte)) at byte offset \(offset); fix the text"
                + hint.text
        case let .file(path, offset, byte, replaceable):
            "'\(path)' is not valid UTF-8: byte \(String(format: "0x%02X", byte)) at byte offset \(offset); fix the file"
                + (replaceable ? " or pass --replace-invalid-utf8 to replace invalid bytes with U+FFFD" : "")
        }
    }

    /// One command-line argument that is not valid UTF-8, as `argv` holds it.
    struct BadArgument {
        /// 1 = the first after `glassbox`.
        let index: Int
        let offset: Int
        let bytes: [UInt8]

        /// The argument with invalid bytes replaced by U+FFFD, as `CommandLine.arguments` (and so the
        /// parsed command) holds it.
        var replaced: String { String(decoding: bytes, as: UTF8.self) }

        func error(_ hint: ArgumentHint) -> InvalidUTF8 {
            let preview = String(decoding: bytes.prefix(40), as: UTF8.self) + (bytes.count > 40 ? "…" : "")
            return .argument(index: index, offset: offset, byte: bytes[offset], preview: preview, hint: hint)
        }
    }

    /// The command-line arguments that are not valid UTF-8, in order, read from `argv` itself
    /// (Swift's `CommandLine.arguments` has already replaced invalid bytes with U+FFFD).
    static func badArguments() -> [BadArgument] {
        (1..<max(Int(CommandLine.argc), 1)).compactMap { i in
            guard let pointer = CommandLine.unsafeArgv[i] else { return nil }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                                  count: strlen(pointer)))
            return UTF8Validation.firstInvalidOffset(bytes).map { BadArgument(index: i, offset: $0, bytes: bytes) }
        }
    }

    /// Checks the parsed `command` against the arguments that were not valid UTF-8: each is an
    /// error, except a prompt (positional, `--prompt`, `--system`) of a command given
    /// `--replace-invalid-utf8`. The message suggests the option only to commands that have it.
    ///
    /// Which option an argument fed is found by parsing again (`parse`, the arguments after the
    /// command name) with that argument (or the value after its `--name=`) replaced by a sentinel:
    /// it is a prompt iff the sentinel lands in the command's prompt — so a path equal to the
    /// prompt's text is still refused.
    static func check(_ bad: [BadArgument], command: any ParsableCommand, arguments: [String],
                      parse: ([String]) throws -> any ParsableCommand) throws {
        guard let first = bad.first else { return }
        guard let prompted = command as? any ReplacesInvalidPrompt else { throw first.error(.none) }
        guard prompted.replacesInvalidUTF8 else { throw first.error(.replaceOption) }
        for argument in bad {
            let sentinel = "\u{F8FF}glassbox-argument-\(argument.index)\u{F8FF}"
            var probe = arguments
            let value = argument.replaced
            let equals = value.hasPrefix("--") ? value.firstIndex(of: "=") : nil
            probe[argument.index - 1] = equals.map { String(value[...$0]) + sentinel } ?? sentinel
            let reparsed = (try? parse(probe)) as? any ReplacesInvalidPrompt
            guard let prompts = reparsed?.promptArguments, prompts.contains(where: { $0.contains(sentinel) }) else {
                throw argument.error(.promptOnly)
            }
        }
    }
}

/// A command with `--replace-invalid-utf8`: the prompt it parsed may hold U+FFFD where the
/// argument's bytes were not valid UTF-8.
protocol ReplacesInvalidPrompt {
    /// Whether `--replace-invalid-utf8` was given.
    var replacesInvalidUTF8: Bool { get }
    /// The prompt as parsed (positional text, `--prompt`, `--chat`'s `--system`), the only arguments
    /// the option may alter.
    var promptArguments: [String] { get }
}

/// A command whose input is `InputOptions` or `TextInputOptions` (which hold `--replace-invalid-utf8`).
protocol InputCommand: ReplacesInvalidPrompt {
    associatedtype Shown: ImageOptionShown
    var input: InputOptionsOf<Shown> { get }
}

extension InputCommand {
    var replacesInvalidUTF8: Bool { input.replaceInvalidUTF8 }
    var promptArguments: [String] { [input.text, input.prompt, input.system].compactMap { $0 } }
}

extension TokenizeCommand: InputCommand {}
extension PredictCommand: InputCommand {}
extension ExplainCommand: InputCommand {}
extension AttentionCommand: InputCommand {}
extension LensCommand: InputCommand {}
extension TraceCommand: InputCommand {}
extension GenerateCommand: InputCommand {}

extension NeuronsCommand: ReplacesInvalidPrompt {
    var replacesInvalidUTF8: Bool { replaceInvalidUTF8 }
    var promptArguments: [String] { [text].compactMap { $0 } }
}
