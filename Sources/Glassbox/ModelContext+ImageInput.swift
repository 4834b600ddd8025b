import Foundation

extension ModelContext {
    /// A vision model's input for a PNG file, preprocessed as the checkpoint says: `[3, H, W]`
    /// pixel values. Before the image is read, the preparation is checked against `config.json`
    /// (`checkImagePreparation`); with neither a resize nor a crop the image's own size must be the
    /// model's. `note` receives one line each when 16-bit gray values above 255 were clipped (as
    /// Pillow does) and when a `…Fast` processor is prepared the slow way.
    public func input(image url: URL, note: (String) -> Void = { _ in }) throws -> ModelInput {
        try preparedImage(url, note: note).input
    }

    /// `input(image:note:)` with the rectangle of the PNG (in its own pixels) that the patch grid
    /// covers (`patchRegion`): what a picture of patch scores is drawn over.
    public func preparedImage(_ url: URL, note: (String) -> Void = { _ in }) throws -> (input: ModelInput, region: ImageRegion) {
        guard let imagePreprocessor, let geometry = architecture.image else {
            if let composite = architecture.textModelOf { throw InputError.visionTowerNotRun(composite) }
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
        let region = imagePreprocessor.sourceRegion(width: image.width, height: image.height, covered: geometry.coveredSize)
        return (.pixels(imagePreprocessor.pixelValues(image)), region)
    }

    /// The rectangle of a `width × height` image, in its own pixels, whose pixels this vision model's
    /// patches are made from: the top-left `gridRows·P × gridColumns·P` pixels of the prepared input
    /// mapped back through the checkpoint's center crop and resize
    /// (`ImagePreprocessor.sourceRegion`); the whole image when the patches tile it. nil for a text model.
    public func patchRegion(imageWidth width: Int, imageHeight height: Int) -> ImageRegion? {
        guard let imagePreprocessor, let geometry = architecture.image else { return nil }
        return imagePreprocessor.sourceRegion(width: width, height: height, covered: geometry.coveredSize)
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
