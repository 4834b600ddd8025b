/// `Image.resize(..., NEAREST)` for 8-bit images as Pillow does it: not a convolution but
/// `ImagingScaleAffine` (libImaging/Geometry.c) with the affine map `x_src = x·(w/W)`,
/// `y_src = y·(h/H)`. The source coordinate of output column x starts at `0.5·(w/W)` and grows by
/// `w/W` per column, accumulated in double precision (not multiplied), then truncated; rows alike.
/// An output pixel whose source falls outside the image stays 0, as Pillow's `fill` leaves it
/// (only possible through accumulated rounding; never seen for sizes below 2¹⁶).
enum PILNearest {
    /// `image` resized to `width × height` (both positive) by nearest neighbour.
    static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        let sourceColumns = sources(inSize: image.width, outSize: width)
        let sourceRows = sources(inSize: image.height, outSize: height)
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for (y, sy) in sourceRows.enumerated() {
            guard let sy else { continue }
            for (x, sx) in sourceColumns.enumerated() {
                guard let sx else { continue }
                let from = (sy * image.width + sx) * 3, to = (y * width + x) * 3
                out[to] = image.pixels[from]
                out[to + 1] = image.pixels[from + 1]
                out[to + 2] = image.pixels[from + 2]
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// The source index of each of `outSize` outputs, nil when it falls outside `0..<inSize`
    /// (`COORD(xo)` with `xo` accumulated from `0.5·a` by steps of `a = inSize/outSize`).
    static func sources(inSize: Int, outSize: Int) -> [Int?] {
        let step = Double(inSize) / Double(outSize)
        var position = step * 0.5
        var result: [Int?] = []
        result.reserveCapacity(outSize)
        for _ in 0..<outSize {
            let index = position < 0 ? -1 : Int(position)     // C's (int) truncates toward zero
            result.append(index >= 0 && index < inSize ? index : nil)
            position += step
        }
        return result
    }
}
