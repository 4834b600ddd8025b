import ArgumentParser
import Foundation
import Glassbox

// Parsing errors are usage errors (exit 2); errors while running are bad input or files (exit 1),
// except the usage problems only a loaded model or a read file reveals (exit 2).
// Either way the user gets one line on stderr, never a stack trace or Foundation's own text.
// Arguments that are not valid UTF-8 are bad input (exit 1); a failed write to stdout is reported
// once, at the end (exit 1).
AllocatorSettings.apply()               // heap reuse for large tensors; see AllocatorSettings
StandardStreams.restoreDefaultSIGPIPE()
let arguments = GlueEqualsArgument.split(Array(CommandLine.arguments.dropFirst()))
let command: ParsableCommand
let badArguments = InvalidUTF8.badArguments()
// `--ids=` (an empty value after `=`) would make the parser take the next argument as the value.
if let empty = arguments.prefix(while: { $0 != "--" }).first(where: { $0.hasPrefix("--") && $0.hasSuffix("=") && $0.count > 3 }) {
    Console.error(UsageMessage.line("\(empty.dropLast()) has an empty value after '='; give one or leave the option out") + " (see `glassbox help`)")
    exit(2)
}
if let problem = HelpTopic.problem(in: arguments) {
    Console.error(UsageMessage.line(problem) + " (see `glassbox help`)")
    exit(2)
}
do {
    command = try GlassboxCommand.parseAsRoot(arguments)
} catch {
    if GlassboxCommand.exitCode(for: error) == .success { GlassboxCommand.exit(withError: error) }
    let message = UnknownOptionProbe.message(in: arguments) ?? GlassboxCommand.message(for: error)
    Console.error(UsageMessage.line(message) + " (see `glassbox help`)")
    exit(2)
}
do {
    try InvalidUTF8.check(badArguments, command: command, arguments: Array(CommandLine.arguments.dropFirst())) {
        try GlassboxCommand.parseAsRoot(GlueEqualsArgument.split($0))
    }
} catch {
    Console.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
    exit(1)
}
do {
    var runnable = command
    try runnable.run()
    Console.finishStandardOutput()
} catch {
    if GlassboxCommand.exitCode(for: error) == .success { GlassboxCommand.exit(withError: error) }
    Console.error(UserMessage.line(for: error))
    exit(error is any UsageProblem || error is ValidationError ? 2 : 1)
}
