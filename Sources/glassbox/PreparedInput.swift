import Foundation
import Glassbox

/// The model input the CLI built from the user's prompt, ids or image, with what the pictures and
/// JSON show about it.
struct PreparedInput {
    let modelInput: ModelInput
    /// Token ids (empty for images).
    let ids: [Int]
    /// Display text per position (the input's own text for tokenized prompts).
    let texts: [String]
    /// Byte offsets per position into the prompt (`nil` for `--ids`, special tokens start = end).
    let spans: [TokenSpan]?
    /// The prompt, when one was tokenized.
    let prompt: String?
    let encoding: Encoding?
    /// The image file, for vision models.
    let imagePath: String?
    /// With `--chat`: the prompt as typed and the template's rendering (`prompt` is the rendering).
    var chat: ChatPrompt? = nil
    /// For images: the rectangle of the image (its own pixels) that the patch grid covers, what
    /// the overlay is drawn over (`ModelContext.patchRegion`).
    var imageRegion: ImageRegion? = nil

    var count: Int { texts.count }

    /// The `"tokens"` entries of JSON results: id, text and byte offsets (null for `--ids`, ids
    /// null for image patches).
    var jsonTokens: [[String: Any]] {
        texts.indices.map { i in
            let span = spans?[i]
            return ["id": ids.isEmpty ? NSNull() : ids[i] as Any, "text": texts[i],
                    "start": span.map { $0.start as Any } ?? NSNull(), "end": span.map { $0.end as Any } ?? NSNull()]
        }
    }

    /// Builds the input from the options: a prompt (tokenized with the model's tokenizer), ids, or
    /// an image (preprocessed as the checkpoint's preprocessor_config.json says).
    static func prepare<Shown>(_ loaded: LoadedModel, input: InputOptionsOf<Shown>) throws -> PreparedInput {
        let arch = loaded.model.architecture
        try input.checkChatHasPrompt()
        if let geometry = arch.image {
            guard let image = input.image else { throw InputProblem.imageRequired(arch.modelType) }
            let url = URL(fileURLWithPath: (image as NSString).expandingTildeInPath)
            let texts = ["[CLS]"] + (0..<geometry.patchCount).map { "patch \($0 / geometry.gridColumns),\($0 % geometry.gridColumns)" }
            let prepared = try loaded.context.preparedImage(url, note: Console.note)
            CommandInputs.record(url.path, as: "--image file")
            return PreparedInput(modelInput: prepared.input, ids: [], texts: texts, spans: nil, prompt: nil,
                                 encoding: nil, imagePath: url.path, imageRegion: prepared.region)
        }
        if input.image != nil { throw InputProblem.imageRefused(arch) }
        let tokenized = try input.tokenized(loaded)
        return PreparedInput(modelInput: .tokens(tokenized.ids, types: tokenized.encoding?.typeIDs), ids: tokenized.ids,
                             texts: tokenized.texts(loaded), spans: tokenized.encoding?.offsets, prompt: tokenized.prompt,
                             encoding: tokenized.encoding, imagePath: nil, chat: tokenized.chat)
    }
}

/// Input mistakes found while preparing a model input.
enum InputProblem: Error, LocalizedError {
    case imageRequired(String)
    case imageForTextModel(String)
    /// A command that reads token positions (patching) given a vision model.
    case textModelNeeded(String, command: String)
    /// `--noise-span` (or another span) reaching past the input's tokens.
    case spanPastInput(option: String, span: String, length: Int)

    /// `--image` given to a model without an image input: `imageForTextModel`, or the runtime's
    /// `InputError.visionTowerNotRun` for the text model of a composite checkpoint.
    static func imageRefused(_ arch: Architecture) -> any Error {
        arch.textModelOf.map(InputError.visionTowerNotRun) ?? InputProblem.imageForTextModel(arch.modelType)
    }

    var errorDescription: String? {
        switch self {
        case .textModelNeeded(let type, let command): "\(command) needs a text model; this \(type) model reads images"
        case .spanPastInput(let option, let span, let length): "\(option) \(span) reaches past the input's \(length) tokens (positions 0..<\(length))"
        case .imageRequired(let type): "this \(type) model reads images; pass --image FILE.png"
        case .imageForTextModel(let type): "this \(type) model reads text, not images; give a prompt or --ids"
        }
    }
}
