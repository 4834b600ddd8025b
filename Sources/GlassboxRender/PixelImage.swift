import Foundation

/// An 8-bit image given as pixel bytes, the input of `ImageOverlay`.
///
/// Shape: `pixels` is `height × width × channels`, row-major from the top row, channels 1 (grey),
/// 3 (RGB) or 4 (RGBA, straight alpha).
public struct PixelImage: Sendable, Equatable {
    /// Width in pixels, > 0.
    public let width: Int
    /// Height in pixels, > 0.
    public let height: Int
    /// Bytes per pixel: 1, 3 or 4.
    public let channels: Int
    /// `height × width × channels` bytes, row-major from the top row.
    public let pixels: [UInt8]

    /// An image from raw bytes. Throws `RenderError.invalidInput` for a non-positive size, a
    /// channel count other than 1, 3 or 4, or a byte count other than `height × width × channels`.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0 else { throw RenderError.invalidInput("an image needs a positive size, got \(width)×\(height)") }
        guard [1, 3, 4].contains(channels) else { throw RenderError.invalidInput("images have 1, 3 or 4 channels, got \(channels)") }
        guard pixels.count == width * height * channels else {
            throw RenderError.invalidInput("a \(width)×\(height) image with \(channels) channels needs \(width * height * channels) bytes, got \(pixels.count)")
        }
        (self.width, self.height, self.channels, self.pixels) = (width, height, channels, pixels)
    }

    /// The colour of pixel (x, y).
    public subscript(x: Int, y: Int) -> RGBA {
        let i = (y * width + x) * channels
        switch channels {
        case 1: let v = Double(pixels[i]) / 255; return RGBA(v, v, v)
        case 3: return RGBA(Double(pixels[i]) / 255, Double(pixels[i + 1]) / 255, Double(pixels[i + 2]) / 255)
        default: return RGBA(Double(pixels[i]) / 255, Double(pixels[i + 1]) / 255, Double(pixels[i + 2]) / 255, Double(pixels[i + 3]) / 255)
        }
    }

    var raster: Raster { Raster(width: width, height: height) { self[$0, $1] } }
}
