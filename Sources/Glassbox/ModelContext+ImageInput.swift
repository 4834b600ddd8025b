import Foundation

extension ModelContext {
    /// A vision model's input for a PNG file, preprocessed as the checkpoint says: `[3, H, W]`
    /// pixel values. Before the image is read, the preparation is checked against `config.json`
    /// (`checkImagePreparation`); with `do_resize` false the image's own size must be the model's.
    public func input(image url: URL) throws -> ModelInput {
        guard let imagePreprocessor, let geometry = architecture.image else {
            throw ModelContextError.notAVisionModel(architecture.modelType)
        }
        try checkImagePreparation(imagePreprocessor, geometry)
        let image = try RGBImage.readPNG(url)
        if imagePreprocessor.resize == nil && (image.height != geometry.height || image.width != geometry.width) {
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
    /// refuses them too), or a resize `size` other than `image_size`.
    func checkImagePreparation(_ preprocessor: ImagePreprocessor, _ geometry: ImageGeometry) throws {
        guard geometry.channels == 3 else {
            throw LoadError.invalidConfig(file: directory.appendingPathComponent("config.json").path, key: "num_channels", detail:
                "is \(geometry.channels), but images are prepared as 3 channels (R, G, B), as transformers' ViTImageProcessor "
                + "prepares them (transformers refuses them for this model too); the model can only take pixel values given directly")
        }
        if let size = preprocessor.resize, size.height != geometry.height || size.width != geometry.width {
            throw ImageError.unsupportedProcessor(file: preprocessorFile, detail:
                "'size' resizes to height \(size.height) × width \(size.width), but config.json's image_size is "
                + "height \(geometry.height) × width \(geometry.width); the model takes only that size")
        }
    }
}
