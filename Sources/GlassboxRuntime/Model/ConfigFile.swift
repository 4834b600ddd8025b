import Foundation
import GlassboxFiles

/// A model folder's `config.json`, read once (at most `InputLimits.configFileBytes`; plain UTF-8;
/// `NaN` and numbers beyond Double made strings by `PythonJSONLiterals`) and scanned once: a
/// repeated key keeps its last value, as Python's `json` reads it (`LastKeyWins`), and the
/// top-level members come out of the same pass, so the model type and the layer and expert counts
/// need no decoding of their own. The loader decodes `data` into its typed config (the one decode).
struct ConfigFile {
    /// Where it was read from.
    let url: URL
    /// The document with a repeated key's last value.
    let data: Data
    /// The top-level members as JSON text; nil when the scan did not follow the text.
    private let members: [String: String]?
    /// The document as `JSONSerialization` reads it, only when the strict scan stopped on a text
    /// Foundation still decodes: so the counts are checked anyway. (A trailing comma, a comment,
    /// a byte-order mark or UTF-16 never gets here: `readPlainUTF8JSON` refuses them.)
    private let parsedFallback: [String: Any]?
    /// The model type, when the scan found it as a plain string.
    private let scannedModelType: String?
    /// What error messages put before a key: empty, or `text_config.` for a nested config
    /// (``member(_:)``).
    let keyPrefix: String

    /// Reads `directory/config.json`; `LoadError.configMissing` when there is none.
    init(directory: URL) throws {
        let url = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw LoadError.configMissing(directory: directory.path)
        }
        let text = PythonJSONLiterals.rewrite(try InputFile.readPlainUTF8JSON(url, limit: InputLimits.configFileBytes))
        self.init(url: url, document: LastKeyWins.scan(text), keyPrefix: "")
    }

    /// The object member `key` of the config (a composite model's `text_config`) as a config of
    /// its own, read from the same file: its keys are named `key.FIELD` in errors. Nil when the
    /// member is absent, `null` or not an object (left to the loader's decoding and its error).
    func member(_ key: String) -> ConfigFile? {
        let text: Data
        if let members {
            guard let member = members[key], member.first == "{" else { return nil }
            text = Data(member.utf8)
        } else {
            guard let object = parsedFallback?[key] as? [String: Any],
                  let data = try? JSONSerialization.data(withJSONObject: object) else { return nil }
            text = data
        }
        let document = LastKeyWins.scan(text)
        return ConfigFile(url: url, document: document, keyPrefix: keyPrefix + key + ".")
    }

    /// A scanned document as a config read from `url`.
    private init(url: URL, document: LastKeyWins.Document, keyPrefix: String) {
        self.url = url
        data = document.data
        members = document.members
        scannedModelType = document.string("model_type")
        parsedFallback = members == nil ? (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] : nil
        self.keyPrefix = keyPrefix
    }

    /// `model_type`, or the error the config's decoding gives (not JSON, not a string, missing).
    func modelType() throws -> String {
        if let scannedModelType { return scannedModelType }
        // Anything but a plain string (or a text the scan refused): decode it for the same error
        // message as any other field (this path only runs for a config that is wrong or unusual).
        guard let modelType = try ConfigDecoding.decode(ModelTypeProbe.self, from: data, file: url).modelType else {
            throw LoadError.invalidConfig(file: url.path, key: "model_type",
                                          detail: "is missing; supported: \(ModelRegistry.supportedModelTypes.joined(separator: ", "))")
        }
        return modelType
    }

    /// The first entry of the top-level `architectures` array (`"ViTModel"`), when there is one.
    var firstArchitecture: String? {
        guard let text = members?["architectures"],
              let list = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [Any] else { return nil }
        return list.first as? String
    }

    /// `problem_type`: nil when absent or null, else one of transformers' three values
    /// (`LoadError.invalidConfig` for anything else, as `PretrainedConfig` raises ValueError).
    func problemType() throws -> ProblemType? {
        let value: Any?
        if let members {
            guard let text = members["problem_type"] else { return nil }
            value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)
        } else {
            value = parsedFallback?["problem_type"]
        }
        if value == nil || value is NSNull { return nil }
        guard let name = value as? String, let type = ProblemType(rawValue: name) else {
            throw LoadError.invalidConfig(file: url.path, key: "problem_type", detail:
                "is not one of \(ProblemType.allCases.map(\.rawValue).joined(separator: ", ")) (transformers refuses it too)")
        }
        return type
    }

    /// The top-level member `key` decoded as JSON (`NSNull` for `null`); nil when it is absent.
    func topLevelValue(_ key: String) -> Any? {
        if let members {
            guard let text = members[key] else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) ?? NSNull()
        }
        return parsedFallback?[key]
    }

    /// Throws `LoadError.invalidConfig` when the top-level `key` is a whole number written with a
    /// fraction or an exponent (`2.0`, `2e0`): transformers passes sizes and counts to torch and
    /// `range()`, which refuse a float (TypeError), so they must be written as integers
    /// (`IntegerConfigFields` lists which). (Other numbers are left to the decoder: `1.5` and
    /// `1e30` are "should be an integer" there.)
    func requireIntegerLiteral(_ key: String) throws {
        guard let text = members?[key], text.first.map({ $0 == "-" || $0.isNumber }) == true,
              text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }),
              let value = Double(text), value == value.rounded(), abs(value) < 9.2e18 else { return }
        throw LoadError.invalidConfig(file: url.path, key: keyPrefix + key,
                                      detail: integerLiteralDetail(text))
    }

    /// The top-level `key` as a non-negative integral number (`12`, `12.0`, `1.2e1`); nil when it
    /// is absent or anything else (left to the loader's decoding and its error).
    func count(_ key: String) -> Int? {
        let value: Double
        if let members {
            guard let text = members[key], let number = Double(text) else { return nil }
            value = number
        } else {
            guard let number = parsedFallback?[key] as? NSNumber, !(parsedFallback?[key] is Bool) else { return nil }
            value = number.doubleValue
        }
        guard value >= 0, value < 9e15, value == value.rounded() else { return nil }
        return Int(value)
    }
}
