import ArgumentParser

/// `glassbox help COMMAND`: ArgumentParser prints the top-level help (exit 0) for a name it does
/// not know; the CLI refuses it instead, as it refuses an unknown command (exit 2).
enum HelpTopic {
    /// The names `help` accepts: every subcommand, and `help` itself.
    static var commandNames: [String] {
        GlassboxCommand.configuration.subcommands.map { $0._commandName } + ["help"]
    }

    /// The error line for `help` followed by a name that is no command (or by more than one
    /// name: the commands have no subcommands); nil for any other arguments.
    static func problem(in arguments: [String]) -> String? {
        guard arguments.first == "help" else { return nil }
        let words = arguments.dropFirst().prefix { $0 != "--" }.filter { !$0.hasPrefix("-") }
        guard let first = words.first else { return nil }
        if !commandNames.contains(first) {
            return "unknown command '\(first)'; the commands are \(commandNames.dropLast().joined(separator: ", "))"
        }
        if words.count > 1 { return "unknown command '\(words.joined(separator: " "))': \(first) has no subcommands" }
        return nil
    }
}
