extension RGBImage {
    /// transformers' `image_transforms.center_crop` on an 8-bit image `[H, W, 3]` → `[height, width, 3]`:
    /// the window starts at `(H − height) // 2`, `(W − width) // 2` (Python's floor division); a
    /// window larger than the image is first padded with zeros, the image placed at
    /// `ceil((new − old) / 2)` on each axis, as transformers pads it.
    public func centerCropped(height: Int, width: Int) -> RGBImage {
        precondition(height > 0 && width > 0, "centerCropped: \(width)×\(height)")
        // The window's corner in the image (negative when the window is larger): padding places the
        // image at ceil(k/2) and the crop starts at floor(-k/2) + ceil(k/2) = 0 of the padded image,
        // so the two offsets cancel and only the floor division is left.
        let top = Self.centerCropStart(size: self.height, crop: height), left = Self.centerCropStart(size: self.width, crop: width)
        var out = [UInt8](repeating: 0, count: height * width * 3)
        for y in 0..<height {
            let sourceY = top + y
            guard sourceY >= 0 && sourceY < self.height else { continue }
            for x in 0..<width {
                let sourceX = left + x
                guard sourceX >= 0 && sourceX < self.width else { continue }
                for c in 0..<3 { out[(y * width + x) * 3 + c] = pixels[(sourceY * self.width + sourceX) * 3 + c] }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// Where transformers' `center_crop` starts a window of `crop` pixels on an axis of `size`
    /// pixels: `(size − crop) // 2` (Python's floor division; negative when the window is larger).
    static func centerCropStart(size: Int, crop: Int) -> Int {
        let k = size - crop
        return k >= 0 ? k / 2 : -((-k + 1) / 2)
    }
}
