import Foundation
import GlassboxFiles
import GlassboxTensor

/// A checkpoint's `preprocessor_config.json` for ViT-style image processors
/// (`ViTImageProcessor` / `ViTFeatureExtractor`, `DeiTImageProcessor` / `DeiTFeatureExtractor`, and
/// their `…Fast` variants prepared the slow way): resize to a fixed size with Pillow's filter,
/// center-crop (DeiT), rescale, normalise, and lay out channels first.
public struct ImagePreprocessor: Sendable, Equatable {
    /// Target size in pixels (`size`), resized with Pillow's `resample` filter; nil when
    /// `do_resize` is false.
    public var resize: (height: Int, width: Int)?
    /// DeiT's center crop after the resize (`crop_size`, transformers' `center_crop`, zero padding
    /// when larger); nil for ViT or when `do_center_crop` is false.
    public var centerCrop: (height: Int, width: Int)?
    /// `image_processor_type` (or `feature_extractor_type`) as written; `ViTImageProcessor` when absent.
    public var processorType = "ViTImageProcessor"
    /// Pillow's filter for the resize (`resample`: absent is the class default, bilinear for ViT and
    /// bicubic for DeiT; `null` is bilinear, as transformers' `resize` falls back).
    public var resample: PILFilter = .bilinear
    /// Multiplier applied to the 0...255 values (`rescale_factor`, usually 1/255); nil when
    /// `do_rescale` is false.
    public var rescaleFactor: Double?
    /// Per-channel mean `[3]` (R, G, B) subtracted after rescaling; nil when `do_normalize`
    /// is false.
    public var mean: [Float]?
    /// Per-channel standard deviation `[3]` (R, G, B, all positive) divided by after
    /// subtracting `mean`; nil when `do_normalize` is false.
    public var std: [Float]?

    /// Equal when every setting is equal (written out because tuples are not `Equatable`).
    public static func == (a: Self, b: Self) -> Bool {
        a.resize?.height == b.resize?.height && a.resize?.width == b.resize?.width && a.resample == b.resample
            && a.centerCrop?.height == b.centerCrop?.height && a.centerCrop?.width == b.centerCrop?.width
            && a.processorType == b.processorType && a.rescaleFactor == b.rescaleFactor && a.mean == b.mean && a.std == b.std
    }

    /// The processor types whose behaviour this reproduces (the `Fast` ones with the slow
    /// processor's Pillow resize: see ``fastProcessorNote``).
    public static let supportedTypes = ["ViTImageProcessor", "ViTFeatureExtractor", "ViTImageProcessorFast",
                                        "DeiTImageProcessor", "DeiTFeatureExtractor", "DeiTImageProcessorFast"]

    /// Whether the checkpoint asks for a torchvision-based `…Fast` processor.
    public var isFast: Bool { processorType.hasSuffix("Fast") }

    /// The final height and width of the pixel values: the crop, else the resize; nil when neither
    /// is done (the image's own size).
    public var outputSize: (height: Int, width: Int)? { centerCrop ?? resize }

    /// One line for stderr when a `…Fast` processor is prepared the slow way, nil otherwise.
    /// transformers' fast processors resize with torchvision (antialiased, on 8-bit tensors), which
    /// differs from Pillow by at most one of 255 levels on some values when shrinking
    /// (docs/correctness.md).
    public var fastProcessorNote: String? {
        guard isFast else { return nil }
        return "note: preprocessor_config.json asks for \(processorType); Glassbox prepares images as the slow "
            + "\(processorType.dropLast(4)) does (Pillow's resize), which can differ from torchvision's by 1 of 255 levels on some values"
    }
    /// The largest height or width `size` may ask for.
    public static let maxSide = 4096

    /// Loads `preprocessor_config.json` from a model folder (a repeated key keeps its last value,
    /// as Python's `json` reads it).
    public static func load(directory: URL) throws -> ImagePreprocessor {
        let url = directory.appendingPathComponent("preprocessor_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ImageError.unsupportedProcessor(file: url.path, detail: "is missing; a vision model needs its image processor config")
        }
        let data = try InputFile.readPythonJSON(url, limit: InputLimits.configFileBytes)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw ImageError.unsupportedProcessor(file: url.path, detail: "is not valid JSON\(LastKeyWins.syntaxErrorPlace(data).map { " " + $0 } ?? "")")
        }
        guard let object = json as? [String: Any] else {
            throw ImageError.unsupportedProcessor(file: url.path, detail: "is a JSON \(SafetensorsHeader.kind(of: json)), not an object")
        }
        return try ImagePreprocessor(json: object, file: url.path)
    }

    /// A `do_*` switch as the Hugging Face image processors read it: absent is on; `null` is off
    /// (the processor keeps None, which is falsy); `true`/`false`, `0`/`1` are themselves; any other
    /// value (a nonzero number, a non-empty string) is Python-truthy, so on.
    static func flag(_ value: Any?) -> Bool {
        guard let value else { return true }
        if value is NSNull { return false }
        return value as? Bool ?? true
    }

    init(json: [String: Any], file: String) throws {
        func fail(_ detail: String) -> ImageError { .unsupportedProcessor(file: file, detail: detail) }
        let type = json["image_processor_type"] as? String ?? json["feature_extractor_type"] as? String ?? "ViTImageProcessor"
        guard Self.supportedTypes.contains(type) else {
            throw fail("image processor '\(type)' is not supported; supported: \(Self.supportedTypes.joined(separator: ", "))")
        }
        processorType = type
        let deit = type.hasPrefix("DeiT")
        if Self.flag(json["do_resize"]) {
            // Absent: the class default (DeiT: BICUBIC); null: bilinear, as transformers' resize falls back.
            resample = json["resample"] == nil && deit ? .bicubic : try Self.filter(json["resample"], fail)
            resize = try Self.size(json["size"], key: "size", default: deit ? (256, 256) : nil, fail)
        }
        if deit && Self.flag(json["do_center_crop"]) {
            centerCrop = try Self.size(json["crop_size"], key: "crop_size", default: (224, 224), fail)
        }
        if Self.flag(json["do_rescale"]) {
            // A value that is not a number (a NaN or 1e400 made a string by PythonJSONLiterals) is
            // an error, not the default.
            if let raw = json["rescale_factor"], !(raw is NSNull), !(raw is NSNumber) {
                throw fail("'rescale_factor' must be a positive number, got \(raw)")
            }
            rescaleFactor = (json["rescale_factor"] as? Double) ?? 1.0 / 255
            if let factor = rescaleFactor, !(factor.isFinite && factor > 0) {
                throw fail("'rescale_factor' must be a positive number, got \(factor)")
            }
        }
        if Self.flag(json["do_normalize"]) {
            // One number stands for all three channels, as the Hugging Face processors broadcast it.
            func channels(_ value: Any?) -> [Float]? {
                if let one = value as? Double { return [Float](repeating: Float(one), count: 3) }
                return (value as? [Double])?.map(Float.init)
            }
            guard let mean = channels(json["image_mean"]), let std = channels(json["image_std"]),
                  mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 && $0.isFinite }),
                  mean.allSatisfy(\.isFinite) else {
                throw fail("'image_mean' and 'image_std' must be three numbers each, or one for all channels (std positive)")
            }
            (self.mean, self.std) = (mean, std)
        }
    }

    /// A `size` or `crop_size` as transformers' `get_size_dict` reads it: `{"height", "width"}`, one
    /// number for a square, or a list `[height, width]`; `null` (or absent) is the class default
    /// (`fallback`; none for ViT, whose configs always save it). Bounded: the image is allocated as
    /// given (ViTs use 224 to 518).
    static func size(_ value: Any?, key: String, default fallback: (Int, Int)?, _ fail: (String) -> ImageError) throws -> (height: Int, width: Int) {
        var target: (Int, Int)?
        if value == nil || value is NSNull {
            target = fallback
        } else if let size = value as? [String: Any], let h = size["height"] as? Int, let w = size["width"] as? Int {
            target = (h, w)
        } else if let side = value as? Int {
            target = (side, side)
        } else if let list = value as? [Any], list.count == 2, let h = list[0] as? Int, let w = list[1] as? Int {
            target = (h, w)
        }
        guard let (h, w) = target, h >= 1, w >= 1 else {
            throw fail("'\(key)' must give a height and width from 1 to \(Self.maxSide): {\"height\": H, \"width\": W}, one number, or [H, W]")
        }
        // The value asked for and the limit, both named (a fuzzed 10⁸ or an overflowing size too).
        let limit = min(InputLimits.resizeSide, Self.maxSide)
        guard h <= limit && w <= limit else {
            throw fail("'\(key)' asks for \(h) × \(w) pixels, over the limit of \(limit) pixels per side; "
                       + "give a height and width from 1 to \(limit)")
        }
        return (h, w)
    }

    /// The filter `resample` names: a `PIL.Image.Resampling` number; absent or `null` is bilinear
    /// (transformers' `resize` falls back to BILINEAR for None); a whole float is its integer and
    /// `true`/`false` are 1/0, as Python's enum lookup reads them. Pillow's MKS2013 (6) and MKS2021
    /// (7), and anything else, are refused with the supported list.
    static func filter(_ value: Any?, _ fail: (String) -> ImageError) throws -> PILFilter {
        guard let value, !(value is NSNull) else { return .bilinear }
        let supported = PILFilter.allCases.map { "\($0.rawValue) (\($0.name.lowercased()))" }.joined(separator: ", ")
        guard let number = value as? NSNumber, let code = Int(exactly: number.doubleValue),
              let filter = PILFilter(rawValue: code) else {
            throw fail("resample \(value) is not supported; supported: \(supported)")
        }
        return filter
    }

    /// `[3, H, W]` pixel values: resize (Pillow's `resample` filter, 8-bit), center crop (DeiT), then
    /// `x·rescale`, then `(x − mean)/std` per channel, as `ViTImageProcessor.preprocess` and
    /// `DeiTImageProcessor.preprocess` do.
    public func pixelValues(_ image: RGBImage) -> Tensor {
        var resized = resize.map { PILResize.resize(image, width: $0.width, height: $0.height, filter: resample) } ?? image
        if let centerCrop { resized = resized.centerCropped(height: centerCrop.height, width: centerCrop.width) }
        let (h, w) = (resized.height, resized.width)
        return Tensor(shape: [3, h, w]) { out in
            for c in 0..<3 {
                // Rescale in Double then round to Float, as numpy's float64 multiply then astype(float32).
                let m = mean?[c] ?? 0, s = std?[c] ?? 1
                for i in 0..<(h * w) {
                    var x = Float(resized.pixels[3 * i + c])
                    if let rescaleFactor { x = Float(Double(x) * rescaleFactor) }
                    if mean != nil { x = (x - m) / s }
                    out[c * h * w + i] = x
                }
            }
        }
    }
}
