/// `--option=VALUE` whose VALUE starts with a combining mark or joiner (`--prompt=̀x`):
/// swift-argument-parser looks for `=` as a `Character`, and `=` followed by U+0300 is one
/// character, so the option was refused as unknown ("Unknown option '--prompt=̀x'"). Such an
/// argument is handed over as `--option VALUE`, which the parser reads the same; the value cannot
/// start with `-`, so it cannot be taken for an option.
enum GlueEqualsArgument {
    /// `arguments` with each such `--option=VALUE` split in two (before a `--` only).
    static func split(_ arguments: [String]) -> [String] {
        var out: [String] = []
        out.reserveCapacity(arguments.count)
        var options = true
        for argument in arguments {
            if argument == "--" { options = false }
            guard options, argument.hasPrefix("--"), !argument.contains(Character("=")),
                  let equals = argument.unicodeScalars.firstIndex(of: "=") else {
                out.append(argument)
                continue
            }
            let name = String(argument.unicodeScalars[..<equals])
            let value = String(argument.unicodeScalars[argument.unicodeScalars.index(after: equals)...])
            out += [name, value]
        }
        return out
    }
}
