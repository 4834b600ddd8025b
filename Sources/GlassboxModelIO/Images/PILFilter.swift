import Foundation

/// Pillow's resampling filters, numbered as `PIL.Image.Resampling` (and a `preprocessor_config.json`'s
/// `resample`) numbers them. All but `nearest` are convolution kernels that `PILResize` runs as
/// `libImaging/Resample.c` does; `nearest` takes Pillow's separate affine-scaling path (`PILNearest`).
public enum PILFilter: Int, Sendable, CaseIterable {
    /// `NEAREST` (0): the source pixel under each output pixel's centre.
    case nearest = 0
    /// `LANCZOS` (1): sinc windowed by sinc, support 3.
    case lanczos = 1
    /// `BILINEAR` (2): the triangle, support 1.
    case bilinear = 2
    /// `BICUBIC` (3): Keys' cubic with a = −0.5, support 2.
    case bicubic = 3
    /// `BOX` (4): the unit box, support 0.5.
    case box = 4
    /// `HAMMING` (5): sinc windowed by Hamming's cosine, support 1.
    case hamming = 5

    /// The filter's name as Pillow spells it (`BICUBIC`).
    public var name: String {
        switch self {
        case .nearest: "NEAREST"
        case .lanczos: "LANCZOS"
        case .bilinear: "BILINEAR"
        case .bicubic: "BICUBIC"
        case .box: "BOX"
        case .hamming: "HAMMING"
        }
    }

    /// Half-width of the kernel in source pixels before antialiasing widens it (`filter.support`);
    /// 0 for `nearest`, which is not a convolution.
    var support: Double {
        switch self {
        case .nearest: 0
        case .box: 0.5
        case .bilinear, .hamming: 1
        case .bicubic: 2
        case .lanczos: 3
        }
    }

    /// The kernel's value at offset `x` (in source pixels, already divided by the filter scale), as
    /// `box_filter`, `bilinear_filter`, `hamming_filter`, `bicubic_filter` and `lanczos_filter`
    /// compute it in double precision (Hamming's constants are C `float` literals, so they are
    /// rounded to `Float` first, as C promotes them).
    func weight(_ x: Double) -> Double {
        switch self {
        case .nearest:
            return 0
        case .box:
            return x > -0.5 && x <= 0.5 ? 1 : 0
        case .bilinear:
            let t = abs(x)
            return t < 1 ? 1 - t : 0
        case .hamming:
            let t = abs(x)
            if t == 0 { return 1 }
            if t >= 1 { return 0 }
            let u = t * Double.pi
            return sin(u) / u * (Double(Float(0.54)) + Double(Float(0.46)) * cos(u))
        case .bicubic:
            let a = -0.5, t = abs(x)
            if t < 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
            if t < 2 { return (((t - 5) * t + 8) * t - 4) * a }
            return 0
        case .lanczos:
            return -3 <= x && x < 3 ? Self.sinc(x) * Self.sinc(x / 3) : 0
        }
    }

    /// `sin(πx)/(πx)`, 1 at 0 (`sinc_filter`).
    private static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let u = x * Double.pi
        return sin(u) / u
    }
}
