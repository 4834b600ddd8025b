import Foundation
import GlassboxModelIO

/// Why a model folder could not be turned into a model.
public enum LoadError: Error, LocalizedError, Equatable {
    /// The folder has no `config.json`.
    case configMissing(directory: String)
    /// `config.json` cannot be read or decoded (bad JSON, a value of the wrong type).
    case configUnreadable(file: String, detail: String)
    /// `model_type` names an architecture this library does not implement.
    case unsupportedModelType(String, supported: [String])
    /// A config value is invalid or unsupported; `key` is its name in `config.json`.
    case invalidConfig(file: String, key: String, detail: String)
    /// A weight the architecture needs is not in the checkpoint.
    case missingTensor(name: String, directory: String)
    /// `tie_word_embeddings` is false but the checkpoint has no output layer of its own — as a bare
    /// `…Model` saves it, without its language-model head (transformers' `…ForCausalLM` would
    /// initialise the missing head at random and warn).
    case missingOutputLayer(name: String, directory: String)
    /// A weight's shape differs from the one the config implies.
    case shapeMismatch(name: String, expected: [Int], actual: [Int], directory: String)
    /// A weight the architecture reads is stored in an integer or BOOL dtype (a quantized tensor
    /// without its `quantization_config`, or a broken conversion): transformers 4.53.3 refuses it at
    /// load ("Only Tensors of floating point and complex dtype can require gradients"), and so does
    /// Glassbox, instead of reading the integers as float values. Integer buffers a loader does not
    /// read (BERT's `position_ids`, GPT-2's `attn.bias`) are not weights and still load.
    case nonFloatingWeight(name: String, dtype: DType, directory: String)
    /// The checkpoint holds weights the architecture does not use (strict loading).
    case unexpectedTensors(names: [String], directory: String)
    /// `config.json`'s first `architectures` entry is a class whose head Glassbox does not run
    /// (`BertForTokenClassification`); `supported` lists the family's classes it runs.
    case unsupportedHead(file: String, className: String, supported: [String])

    /// One readable line naming the file, key or weight.
    public var errorDescription: String? {
        switch self {
        case .configMissing(let dir):
            return "no config.json in \(dir); point --model at a Hugging Face model folder"
        case .configUnreadable(let file, let detail):
            return "\(file) is not a valid config: \(detail)"
        case .unsupportedModelType(let type, let supported):
            let nearest = NearestModelType.nearest(to: type, in: supported)
                .map { "; nearest supported: \($0) (a starting point, not a substitute)" } ?? ""
            return "model_type '\(type)' is not supported; supported: \(supported.joined(separator: ", "))\(nearest)"
                + "; to ask for it, open an issue naming the checkpoint, with its config.json"
        case .invalidConfig(let file, let key, let detail):
            return "\(file): '\(key)' \(detail)"
        case .missingTensor(let name, let dir):
            return "weight '\(name)' is missing from the checkpoint in \(dir)"
        case .missingOutputLayer(let name, let dir):
            return "weight '\(name)' is missing from the checkpoint in \(dir): config.json's tie_word_embeddings is false, "
                + "so the output layer is a weight of its own, and a bare model's checkpoint (saved without its "
                + "language-model head) has none; transformers would fill it with random values"
        case .shapeMismatch(let name, let expected, let actual, let dir):
            return "weight '\(name)' in \(dir) has shape \(actual), but the config implies \(expected)"
        case .nonFloatingWeight(let name, let dtype, let dir):
            return "weight '\(name)' in \(dir) is stored as \(dtype.rawValue), not a floating-point dtype; "
                + "transformers refuses it too (a parameter must be floating point) and Glassbox does not dequantize: "
                + "load a checkpoint whose weights are F32, F16 or BF16"
        case .unexpectedTensors(let names, let dir):
            let shown = names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", … (\(names.count) in all)" : "")
            return "the checkpoint in \(dir) has weights this architecture does not use: \(shown)"
        case .unsupportedHead(let file, let className, let supported):
            return "\(file): 'architectures' names \(className), a head Glassbox does not support; "
                + "supported: \(supported.joined(separator: ", "))"
        }
    }
}

/// Why an input cannot be run.
public enum InputError: Error, LocalizedError, Equatable {
    /// No tokens.
    case empty
    /// A token id outside `0..<vocabularySize`.
    case tokenOutOfRange(id: Int, position: Int, vocabularySize: Int)
    /// More tokens than the model's context length (`Architecture.contextLength`).
    case tooLong(length: Int, contextLength: Int)
    /// A token type id outside `0..<tokenTypes`.
    case tokenTypeOutOfRange(type: Int, position: Int, tokenTypes: Int)
    /// Token types given, but not one per token.
    case tokenTypeCount(expected: Int, got: Int)
    /// A requested logit row (`LogitRows.positions`) outside `0..<length`.
    case positionOutOfRange(position: Int, length: Int)
    /// Pixels given to a text model (its `model_type` given).
    case imageForTextModel(String)
    /// Pixels given to the text model of a composite checkpoint (its class given,
    /// `Architecture.textModelOf`).
    case visionTowerNotRun(String)
    /// Tokens given to a vision model (its `model_type` given).
    case tokensForVisionModel(String)
    /// Pixel values of a shape other than the model's `[channels, height, width]`.
    case pixelShape(expected: [Int], got: [Int])
    /// Pixel values whose storage holds `count` values, not the product of their `shape`.
    case pixelCount(shape: [Int], count: Int)
    /// Pixel values of which `count` (among `total`) are NaN or ±Inf.
    case nonFinitePixels(count: Int, total: Int)

    /// One readable line saying what to give instead.
    public var errorDescription: String? {
        switch self {
        case .imageForTextModel(let type):
            "this \(type) model reads text, not images; give a prompt or --ids"
        case .visionTowerNotRun(let composite):
            "this \(composite) checkpoint runs as its text model (Glassbox does not run its vision tower): "
                + "it reads text, not images; give a prompt or --ids"
        case .tokensForVisionModel(let type):
            "this \(type) model reads images; give --image FILE.png"
        case .pixelShape(let expected, let got):
            "pixel values have shape \(got) but the model expects \(expected) ([channels, height, width])"
        case .pixelCount(let shape, let count):
            "pixel values of shape \(shape) must hold \(shape.reduce(1, *)) values but their storage has \(count)"
        case .nonFinitePixels(let count, let total):
            "\(count) of the \(total) pixel values are NaN or ±Inf; the input must be finite"
        case .empty:
            "the input is empty; give at least one token"
        case .tokenOutOfRange(let id, let position, let vocab):
            "token id \(id) at position \(position) is outside the vocabulary (0..<\(vocab))"
        case .tooLong(let length, let context):
            "the input has \(length) tokens but the model's context window is \(context); shorten it"
        case .tokenTypeOutOfRange(let type, let position, let types) where types == 0:
            "token type \(type) at position \(position): this model takes no token types (only 0, the default); leave them out"
        case .tokenTypeOutOfRange(let type, let position, let types):
            "token type \(type) at position \(position) is outside 0..<\(types)"
        case .tokenTypeCount(let expected, let got):
            "expected \(expected) token types (one per token), got \(got)"
        case .positionOutOfRange(let position, let length):
            "position \(position) is outside the input (0..<\(length))"
        }
    }
}
