import Foundation

extension ModelContext {
    /// A vision model's input for a PNG file, preprocessed as the checkpoint says: `[3, H, W]`
    /// pixel values. Before the image is read, the preparation is checked against `config.json`
    /// (`checkImagePreparation`); with neither a resize nor a crop the image's own size must be the
    /// model's. `note` receives one line each when 16-bit gray values above 255 were clipped (as
    /// Pillow does) and when a `…Fast` processor is prepared the slow way.
    public func input(image url: URL, note: (String) -> Void = { _ in }) throws -> ModelInput {
        guard let imagePreprocessor, let geometry = architecture.image else {
            throw ModelContextError.notAVisionModel(architecture.modelType)
        }
        try checkImagePreparation(imagePreprocessor, geometry)
        let (image, clipped) = try RGBImage.readPNGCountingClipped(url)
        if clipped > 0 {
            note("note: \(url.path) is a 16-bit gray PNG; \(clipped) value(s) above 255 were clipped to 255, "
                 + "as Pillow's convert(\"RGB\") (and so transformers) does")
        }
        if let line = imagePreprocessor.fastProcessorNote { note(line) }
        if imagePreprocessor.outputSize == nil && (image.height != geometry.height || image.width != geometry.width) {
            throw ImageError.unsupportedProcessor(file: preprocessorFile, detail:
                "does not resize (do_resize is false), so the image must be \(geometry.width) × \(geometry.height) pixels "
                + "as config.json's image_size says; \(url.path) is \(image.width) × \(image.height)")
        }
        return .pixels(imagePreprocessor.pixelValues(image))
    }

    /// `preprocessor_config.json` in the model folder.
    private var preprocessorFile: String { directory.appendingPathComponent("preprocessor_config.json").path }

    /// Throws, naming the file and key, when the image processor cannot make what the model takes:
    /// a `num_channels` other than 3 (the processor makes R, G, B planes; transformers' model
    /// refuses them too), or a final size (`crop_size` when cropping, else `size`) other than `image_size`.
    func checkImagePreparation(_ preprocessor: ImagePreprocessor, _ geometry: ImageGeometry) throws {
        guard geometry.channels == 3 else {
            throw LoadError.invalidConfig(file: directory.appendingPathComponent("config.json").path, key: "num_channels", detail:
                "is \(geometry.channels), but images are prepared as 3 channels (R, G, B), as transformers' ViTImageProcessor "
                + "prepares them (transformers refuses them for this model too); the model can only take pixel values given directly")
        }
        if let size = preprocessor.outputSize, size.height != geometry.height || size.width != geometry.width {
            let what = preprocessor.centerCrop == nil ? "'size' resizes" : "'crop_size' crops"
            throw ImageError.unsupportedProcessor(file: preprocessorFile, detail:
                "\(what) to height \(size.height) × width \(size.width), but config.json's image_size is "
                + "height \(geometry.height) × width \(geometry.width); the model takes only that size")
        }
    }
}
