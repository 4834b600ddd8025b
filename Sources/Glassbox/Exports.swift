// The umbrella module: one import for the whole library. Glue between the layers (tokenizer +
// model, results → pictures) lives beside this file.
@_exported import GlassboxAnalysis
@_exported import GlassboxDefaults
@_exported import GlassboxFiles
@_exported import GlassboxHTML
@_exported import GlassboxModelIO
@_exported import GlassboxRender
@_exported import GlassboxRuntime
@_exported import GlassboxTensor
@_exported import GlassboxTokenizers

/// The library's version, written into every JSON result.
public enum GlassboxVersion {
    /// The version string, `major.minor.patch`.
    public static let string = "0.1.0"
}
