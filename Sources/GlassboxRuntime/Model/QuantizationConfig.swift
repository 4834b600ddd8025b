import Foundation

/// `config.json`'s `quantization_config`, read as `PreTrainedModel.from_pretrained` reads it
/// (transformers 4.53.3: `pre_quantized = hasattr(config, "quantization_config")`, then
/// `AutoHfQuantizer.supports_quant_method`). A quantized checkpoint (GPTQ, AWQ, bitsandbytes, FP8,
/// compressed-tensors, …) runs through its method's kernels in transformers, not through float
/// weights, so Glassbox refuses it in one line naming the method, before reading any weight (its
/// packed tensors would otherwise fail as missing weights or an FP8 dtype, without the reason).
/// Tested against `scripts/fixtures/generate_quantization_configs.py`'s record of what
/// transformers does with each kind of value (`Tests/Fixtures/quantization-configs.json`).
enum QuantizationConfig {
    /// The `quant_method` values transformers 4.53.3 has a quantizer for
    /// (`AUTO_QUANTIZATION_CONFIG_MAPPING`; `bitsandbytes` itself is reached through the
    /// `load_in_4bit` / `load_in_8bit` flags, as there).
    static let knownMethods: Set<String> = [
        "aqlm", "auto-round", "awq", "bitnet", "bitsandbytes_4bit", "bitsandbytes_8bit", "compressed-tensors",
        "eetq", "fbgemm_fp8", "fp8", "gptq", "higgs", "hqq", "quanto", "quark", "spqr", "torchao", "vptq",
    ]

    /// What transformers makes of a `quantization_config` value.
    enum Reading: Equatable {
        /// No key, or a `quant_method` transformers does not know: it warns and loads the float
        /// weights as if the key were absent.
        case skipped
        /// Transformers builds the model with this method's quantizer.
        case quantized(method: String)
        /// Transformers fails on the value; the detail says why.
        case invalid(detail: String)
    }

    /// Throws `LoadError.invalidConfig` (key `quantization_config`) unless transformers would load
    /// the checkpoint's float weights unquantized.
    static func check(_ config: ConfigFile) throws {
        guard let value = config.topLevelValue("quantization_config") else { return }
        switch reading(of: value) {
        case .skipped: return
        case .quantized(let method):
            throw LoadError.invalidConfig(file: config.url.path, key: config.keyPrefix + "quantization_config", detail:
                "says the checkpoint is quantized with \"\(method)\": transformers runs it through that method's own kernels "
                + "(most need a GPU), not through float weights, and Glassbox does not reproduce them; "
                + "load the unquantized checkpoint (F32, F16 or BF16 weights)")
        case .invalid(let detail):
            throw LoadError.invalidConfig(file: config.url.path, key: config.keyPrefix + "quantization_config", detail: detail)
        }
    }

    /// `AutoHfQuantizer.supports_quant_method(value)`'s decision for a decoded JSON value
    /// (`NSNull` for `null`).
    static func reading(of value: Any) -> Reading {
        guard let object = value as? [String: Any] else {
            return .invalid(detail: "is \(jsonKind(value)), not an object (transformers fails on it: it reads the config's quant_method with .get)")
        }
        if truthy(object["load_in_8bit"]) || truthy(object["load_in_4bit"]) {
            return .quantized(method: truthy(object["load_in_4bit"]) ? "bitsandbytes_4bit" : "bitsandbytes_8bit")
        }
        guard let method = object["quant_method"], !(method is NSNull) else {
            return .invalid(detail: "has no quant_method (transformers refuses it: \"the model has been correctly quantized\" cannot be told)")
        }
        if method is [Any] || method is [String: Any] {
            return .invalid(detail: "has a quant_method that is \(jsonKind(method)) (transformers fails on it: unhashable)")
        }
        if let name = method as? String, knownMethods.contains(name) { return .quantized(method: name) }
        return .skipped
    }

    /// Python's truth value of a decoded JSON value (`dict.get(key, False)` read by `if`).
    private static func truthy(_ value: Any?) -> Bool {
        switch value {
        case nil, is NSNull: false
        case let number as NSNumber: number.doubleValue != 0
        case let text as String: !text.isEmpty
        case let list as [Any]: !list.isEmpty
        case let object as [String: Any]: !object.isEmpty
        default: true
        }
    }

    private static func jsonKind(_ value: Any) -> String {
        switch value {
        case is NSNull: "null"
        case is String: "a string"
        case is [Any]: "a list"
        case is [String: Any]: "an object"
        default: "a number or boolean"
        }
    }
}
