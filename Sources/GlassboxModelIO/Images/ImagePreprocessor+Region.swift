import Foundation

extension ImagePreprocessor {
    /// The rectangle of a `width × height` original image whose pixels become the top-left
    /// `covered.height × covered.width` pixels of the pixel values (what a ViT's patch grid reads:
    /// `(image_size / patch) · patch` per side). Mapped back through the center crop (DeiT: the
    /// window's corner at `(R − crop) // 2` of the resized image, negative when it pads) and the
    /// resize, which stretches the whole image onto `size` without keeping its aspect ratio:
    /// `x = left · width / size.width`, `width′ = covered.width · width / size.width`, the same for y.
    /// Checked against transformers' processors in Tests/Fixtures/images/regions.json.
    public func sourceRegion(width: Int, height: Int, covered: (height: Int, width: Int)) -> ImageRegion {
        let resized = resize ?? (height: height, width: width)
        let sx = Double(width) / Double(resized.width), sy = Double(height) / Double(resized.height)
        var left = 0, top = 0
        if let centerCrop {
            // Where `RGBImage.centerCropped` places the window.
            left = RGBImage.centerCropStart(size: resized.width, crop: centerCrop.width)
            top = RGBImage.centerCropStart(size: resized.height, crop: centerCrop.height)
        }
        return ImageRegion(x: Double(left) * sx, y: Double(top) * sy,
                           width: Double(covered.width) * sx, height: Double(covered.height) * sy)
    }
}
