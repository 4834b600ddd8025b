import CGlassboxPNG
import Foundation
import GlassboxFiles

/// An 8-bit RGB image, row-major `[height, width, 3]`: what vision preprocessing starts from.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels, > 0.
    public let width: Int
    /// Height in pixels, > 0.
    public let height: Int
    /// `height · width · 3` bytes, rows top to bottom, pixels `R, G, B`.
    public let pixels: [UInt8]

    /// An image from raw bytes; `pixels.count` must be `height · width · 3` (checked with a
    /// precondition).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3,
                     "RGBImage: \(pixels.count) bytes for \(width)×\(height)")
        (self.width, self.height, self.pixels) = (width, height, pixels)
    }

    /// Reads a PNG of any colour type and bit depth through libpng and converts it to RGB the way
    /// Pillow 13's `Image.open(path).convert("RGB")` does (so transformers' image processors): gray
    /// is replicated, palettes are looked up, alpha (and tRNS transparency) is dropped without
    /// compositing, gamma chunks are ignored. 16-bit RGB, RGBA and gray + alpha samples keep their
    /// high byte; 16-bit gray (Pillow's mode "I;16") is clipped to 0...255, as Pillow's "I;16" →
    /// "RGB" conversion does: see ``readPNGCountingClipped(_:)`` for how many samples were.
    public static func readPNG(_ url: URL) throws -> RGBImage { try readPNGCountingClipped(url).image }

    /// ``readPNG(_:)``, with the number of 16-bit gray samples above 255 that were clipped to 255
    /// (0 for every other kind of file).
    public static func readPNGCountingClipped(_ url: URL) throws -> (image: RGBImage, clipped: Int) {
        var raw: UnsafeMutablePointer<UInt8>?
        var (width, height, channels, depth): (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)
        var message = [CChar](repeating: 0, count: 256)
        let fd = try InputFile.openChecked(url.path)     // regular files only; the decoder closes it
        // The size announced in the header is checked before libpng reads anything else, so a
        // huge (or truncated) image is refused for its size, whatever follows the header.
        var head = [UInt8](repeating: 0, count: 26)
        var grayWithoutAlpha = false      // colour type 0: Pillow's "I;16" at 16 bits, tRNS or not
        if pread(fd, &head, 26, 0) == 26, head.starts(with: [0x89, 0x50, 0x4E, 0x47]), Array(head[12..<16]) == Array("IHDR".utf8) {
            grayWithoutAlpha = head[25] == 0
            let number = { (i: Int) in head[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
            let (w, h) = (number(16), number(20))
            if w > InputLimits.imageSide || h > InputLimits.imageSide || w * h > InputLimits.imagePixels {
                close(fd)
                throw ImageError.tooLarge(file: url.path, detail: "\(w)×\(h) pixels is larger than the limit of \(InputLimits.imageSide) pixels a side and \(InputLimits.imagePixels >> 20) Mi pixels in all; scale it down")
            }
        }
        let status = glassbox_png_decode(fd, UInt32(InputLimits.imageSide), InputLimits.imagePixels, &raw, &width, &height,
                                         &channels, &depth, &message, message.count)
        guard status == 0, let raw else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if status == 2 { throw ImageError.tooLarge(file: url.path, detail: reason) }
            throw ImageError.unreadable(file: url.path, reason: reason)
        }
        defer { free(raw) }
        let (w, h, c) = (Int(width), Int(height), Int(channels))
        let bytesPerSample = Int(depth) / 8
        guard w > 0, h > 0, (1...4).contains(c), bytesPerSample == 1 || bytesPerSample == 2 else {
            throw ImageError.unreadable(file: url.path, reason: "unsupported layout (\(c) channels, \(depth) bits)")
        }
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        var clipped = 0
        let clipsGray = bytesPerSample == 2 && grayWithoutAlpha
        rgb.withUnsafeMutableBufferPointer { out in
            for i in 0..<(w * h) {
                // High byte of each sample (big-endian for 16-bit); 16-bit gray clipped instead.
                let pixel = raw + i * c * bytesPerSample
                let sample = { (k: Int) in pixel[k * bytesPerSample] }
                switch c {
                case 1 where clipsGray, 2 where clipsGray:      // 2: tRNS made an alpha channel
                    let value = Int(pixel[0]) << 8 | Int(pixel[1])
                    if value > 255 { clipped += 1 }
                    let g = UInt8(min(value, 255)); out[3 * i] = g; out[3 * i + 1] = g; out[3 * i + 2] = g
                case 1, 2: let g = sample(0); out[3 * i] = g; out[3 * i + 1] = g; out[3 * i + 2] = g
                default: out[3 * i] = sample(0); out[3 * i + 1] = sample(1); out[3 * i + 2] = sample(2)
                }
            }
        }
        return (RGBImage(width: w, height: h, pixels: rgb), clipped)
    }
}

/// Why an image could not be read or prepared.
public enum ImageError: Error, LocalizedError, Equatable {
    /// The file is missing or not a PNG libpng can decode; `reason` is libpng's message.
    case unreadable(file: String, reason: String)
    /// The image is larger than ``InputLimits/imageSide`` or ``InputLimits/imagePixels``
    /// (`detail` gives its size and the limits).
    case tooLarge(file: String, detail: String)
    /// `preprocessor_config.json` is missing, malformed or asks for something not supported.
    case unsupportedProcessor(file: String, detail: String)

    /// One readable line naming the file.
    public var errorDescription: String? {
        switch self {
        case .unreadable(let file, let reason): "cannot read the image \(file): \(reason)"
        case .tooLarge(let file, let detail): "the image \(file) is too large: \(detail)"
        case .unsupportedProcessor(let file, let detail): "\(file): \(detail)"
        }
    }
}
