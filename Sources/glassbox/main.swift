import ArgumentParser
import Foundation
import Glassbox

// Parsing errors are usage errors (exit 2); errors while running are bad input or files (exit 1),
// except the usage problems only a loaded model or a read file reveals (exit 2).
// Either way the user gets one line on stderr, never a stack trace or Foundation's own text.
let arguments = Array(CommandLine.arguments.dropFirst())
let command: ParsableCommand
do {
    command = try GlassboxCommand.parseAsRoot(arguments)
} catch {
    if GlassboxCommand.exitCode(for: error) == .success { GlassboxCommand.exit(withError: error) }
    Console.error(UsageMessage.line(GlassboxCommand.message(for: error)) + " (see `glassbox help`)")
    exit(2)
}
do {
    var runnable = command
    try runnable.run()
} catch {
    if GlassboxCommand.exitCode(for: error) == .success { GlassboxCommand.exit(withError: error) }
    Console.error(UserMessage.line(for: error))
    exit(error is any UsageProblem || error is ValidationError ? 2 : 1)
}
