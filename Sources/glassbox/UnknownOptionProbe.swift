import ArgumentParser

/// Finds an option the command does not know, for the case where ArgumentParser reports
/// something else first: it validates before it looks for unused input, so
/// `tokenize --ids 1,2 --bogus 3` takes `3` as the prompt and fails with "give one input" while
/// the real mistake is `--bogus`. The known names are read from the subcommand's help with its
/// hidden options (`trace` and `generate` keep `--image` out of their help, to refuse it themselves).
enum UnknownOptionProbe {
    /// "Unknown option '--bogus'" for the first option-like argument the subcommand does not know;
    /// nil when every one is known. Arguments after a `--` terminator are values. `batch` passes
    /// the options it does not know to its command, which checks them itself.
    static func message(in arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-"), first != "batch",
              let command = GlassboxCommand.configuration.subcommands.first(where: {
                  $0.configuration.commandName == first })
        else { return nil }
        let known = knownNames(help: GlassboxCommand.helpMessage(for: command, includeHidden: true))
        for argument in arguments.dropFirst() {
            if argument == "--" { break }
            guard argument.count > 1, argument.hasPrefix("-"), Double(argument) == nil else { continue }
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if !name.hasPrefix("--"), name.count > 2 { continue }  // -abc: combined short flags, left to the parser
            if !known.contains(name) { return "Unknown option '\(name)'" }
        }
        return nil
    }

    /// Every `--name`, `-x` and both forms of `--[no-]name` in a help text, plus the help options.
    static func knownNames(help: String) -> Set<String> {
        var names: Set<String> = ["-h", "--help"]
        let characters = Array(help)
        var i = 0
        while i < characters.count {
            guard characters[i] == "-", i == 0 || !(characters[i - 1].isLetter || characters[i - 1].isNumber || characters[i - 1] == "-")
            else { i += 1; continue }
            var j = i + 1
            if j < characters.count, characters[j] == "-" { j += 1 }
            var negatable = false
            if Array(characters[j..<min(j + 5, characters.count)]) == Array("[no-]") { negatable = true; j += 5 }
            var k = j
            while k < characters.count, characters[k].isLetter || characters[k].isNumber || characters[k] == "-" { k += 1 }
            if k > j {
                let dashes = String(characters[i..<(characters[i + 1] == "-" ? i + 2 : i + 1)])
                let body = String(characters[j..<k])
                names.insert(dashes + body)
                if negatable { names.insert(dashes + "no-" + body) }
            }
            i = max(k, i + 1)
        }
        return names
    }
}
