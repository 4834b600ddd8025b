import ArgumentParser
import Glassbox

/// `glassbox`: explain what transformer models do, natively, offline.
struct GlassboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glassbox",
        abstract: "Explain what transformer models do: load Hugging Face checkpoints, run them, look inside.",
        version: GlassboxVersion.string,
        subcommands: [InfoCommand.self, TokenizeCommand.self, PredictCommand.self, ExplainCommand.self,
                      AttentionCommand.self, LensCommand.self, ProjectCommand.self,
                      NeuronsCommand.self, PatchCommand.self, TraceCommand.self, PathCommand.self, EvaluateCommand.self,
                      GenerateCommand.self, BatchCommand.self, MergeCommand.self,
                      RenderCommand.self, VerifyCommand.self])
}
