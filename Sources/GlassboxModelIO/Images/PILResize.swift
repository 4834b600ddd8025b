/// Image resizing exactly as Pillow's `Image.resize` does it for 8-bit images
/// (`libImaging/Resample.c`), which is what Hugging Face's image processors call, for every
/// filter a `preprocessor_config.json` may name (`PILFilter`).
///
/// The convolution filters (all but nearest) run a separable convolution with the filter's
/// kernel; when shrinking, the kernel's support widens by the scale factor (antialiasing).
/// Coefficients are normalised per output pixel, then turned into 22-bit fixed point (negative
/// lobes of bicubic and Lanczos included); each pass rounds and clips to 8 bits. The horizontal
/// pass runs first unless Pillow 13's rule puts the vertical one first (see `resize`). Pillow
/// restricts the first pass to the rows or columns the second reads, which changes nothing but
/// speed; this version runs whole passes. Nearest neighbour takes Pillow's other path (`PILNearest`).
public enum PILResize {
    static let precisionBits = 32 - 8 - 2

    /// Resizes `image` to `width × height` with the bilinear filter (`resize(…, filter: .bilinear)`).
    public static func bilinear(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        resize(image, width: width, height: height, filter: .bilinear)
    }

    /// Resizes `image` to `width × height` with `filter`, as `Image.resize((width, height), filter)`
    /// does: the same size is a copy.
    public static func resize(_ image: RGBImage, width: Int, height: Int, filter: PILFilter) -> RGBImage {
        precondition(width > 0 && height > 0, "PILResize: target size must be positive")
        let (w, h) = (image.width, image.height)
        if width == w && height == h { return image }
        if filter == .nearest { return PILNearest.resize(image, width: width, height: height) }
        let horizontal = width != w, vertical = height != h
        // Pillow ≥ 13 runs the vertical pass first when it removes much more than the horizontal
        // one (python-pillow PR #9549); the order matters because each pass rounds to 8 bits.
        if horizontal && vertical && height < h && (h - height) > 2 * (w - width) {
            let tall = pass(image, along: .vertical, to: height, filter: filter)
            return pass(tall, along: .horizontal, to: width, filter: filter)
        }
        var result = image
        if horizontal { result = pass(result, along: .horizontal, to: width, filter: filter) }
        if vertical { result = pass(result, along: .vertical, to: height, filter: filter) }
        return result
    }

    enum Axis { case horizontal, vertical }

    /// One separable pass (`ImagingResampleHorizontal_8bpc` / `…Vertical_8bpc`): every output
    /// sample is `clip8((2²¹ + Σ p·k) >> 22)`.
    static func pass(_ image: RGBImage, along axis: Axis, to size: Int, filter: PILFilter) -> RGBImage {
        let (w, h) = (image.width, image.height)
        let inSize = axis == .horizontal ? w : h
        let c = coefficients(inSize: inSize, outSize: size, filter: filter)
        let (outW, outH) = axis == .horizontal ? (size, h) : (w, size)
        // Step between neighbouring taps along the axis, in samples.
        let tapStride = axis == .horizontal ? 3 : 3 * w
        var out = [UInt8](repeating: 0, count: outW * outH * 3)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outH {
                    for x in 0..<outW {
                        let o = axis == .horizontal ? x : y
                        let (start, count) = c.bounds[o]
                        let first = axis == .horizontal ? (y * w + start) * 3 : (start * w + x) * 3
                        for ch in 0..<3 {
                            var sum = 1 << (precisionBits - 1)
                            for i in 0..<count {
                                sum += Int(src[first + i * tapStride + ch]) * c.weights[o * c.size + i]
                            }
                            dst[(y * outW + x) * 3 + ch] = clip8(sum)
                        }
                    }
                }
            }
        }
        return RGBImage(width: outW, height: outH, pixels: out)
    }

    struct Coefficients {
        /// Taps per output pixel (`ksize`).
        let size: Int
        /// Per output pixel: first input index and tap count.
        let bounds: [(start: Int, count: Int)]
        /// `size` fixed-point weights per output pixel.
        let weights: [Int]
    }

    /// `precompute_coeffs` + `normalize_coeffs_8bpc` for a convolution `filter`: per output pixel,
    /// the kernel sampled at the source pixels within its widened support, divided by its sum
    /// (when that is not 0), rounded half away from zero to 22-bit fixed point.
    static func coefficients(inSize: Int, outSize: Int, filter: PILFilter) -> Coefficients {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let size = Int(support.rounded(.up)) * 2 + 1
        var bounds: [(Int, Int)] = []
        var weights = [Int](repeating: 0, count: outSize * size)
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1 / filterScale
            let xmin = max(0, Int(center - support + 0.5))      // C's (int) truncates toward zero
            let xmax = min(inSize, Int(center + support + 0.5)) - xmin
            var k = [Double](repeating: 0, count: max(xmax, 0))
            var total = 0.0
            for x in 0..<max(xmax, 0) {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * ss)
                k[x] = w
                total += w
            }
            for x in 0..<k.count {
                let w = total != 0 ? k[x] / total : k[x]
                weights[xx * size + x] = Int(w * Double(1 << precisionBits) + (w < 0 ? -0.5 : 0.5))
            }
            bounds.append((xmin, max(xmax, 0)))
        }
        return Coefficients(size: size, bounds: bounds, weights: weights)
    }

    private static func clip8(_ value: Int) -> UInt8 {
        let shifted = value >> precisionBits
        return UInt8(clamping: shifted)
    }
}
