/// A ViT config's `image_size` or `patch_size`: one integer for a square, or a list
/// `[height, width]`, as transformers' `ViTPatchEmbeddings` reads it (an iterable is taken as
/// `(height, width)`, an integer `n` as `(n, n)`).
struct ViTSize: Decodable, Sendable, Equatable {
    /// Height in pixels.
    var height: Int
    /// Width in pixels.
    var width: Int

    /// A square `side × side`.
    init(side: Int) { (height, width) = (side, side) }

    /// Reads an integer, or a list of exactly two integers (a list of another length is refused
    /// naming the key: transformers would read its first two entries, or fail on one). A value of
    /// another kind fails as an integer field does, so a float is reported as the integer fields'
    /// check reports it.
    init(from decoder: Decoder) throws {
        if var list = try? decoder.unkeyedContainer() {
            var sides: [Int] = []
            while !list.isAtEnd { sides.append(try list.decode(Int.self)) }
            guard sides.count == 2 else {
                throw ConfigValidationError(key: decoder.codingPath.last?.stringValue ?? "image_size",
                                            detail: "must be one integer or a list [height, width], got a list of \(sides.count)")
            }
            (height, width) = (sides[0], sides[1])
        } else {
            let side = try decoder.singleValueContainer().decode(Int.self)
            (height, width) = (side, side)
        }
    }

    /// How the config gives it: `16` for a square, else `[16, 24]`.
    var written: String { height == width ? "\(height)" : "[\(height), \(width)]" }
}
