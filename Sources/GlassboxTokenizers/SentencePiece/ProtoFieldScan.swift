import Foundation

/// Field numbers in the raw bytes SwiftProtobuf keeps as a message's `unknownFields`. Two things
/// land there that are not errors for a protobuf decoder (nor for the C++ one sentencepiece
/// uses): a proto2 enum value outside the enum (a `model_type` of 7, a piece `type` of 9; the
/// field is left at its default) and a known field sent with the wrong wire type (the field is
/// left unset). The loader looks for both, so such a file is refused instead of read with defaults.
enum ProtoFieldScan {
    /// Whether `data` (well-formed fields: the decoder has already parsed them) holds `field`.
    static func contains(field: Int, in data: Data) -> Bool {
        first(of: [field], in: data) != nil
    }

    /// The first field of `data` whose number is in `fields`, or nil.
    static func first(of fields: Set<Int>, in data: Data) -> Int? {
        let bytes = [UInt8](data)
        var i = 0
        func varint() -> UInt64? {
            var value: UInt64 = 0, shift: UInt64 = 0
            while i < bytes.count, shift < 64 {
                let b = bytes[i]
                i += 1
                value |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        while i < bytes.count {
            guard let key = varint() else { return nil }
            if key >> 3 < 1 << 29, fields.contains(Int(key >> 3)) { return Int(key >> 3) }
            switch key & 7 {
            case 0: guard varint() != nil else { return nil }
            case 1: i += 8
            case 2:
                guard let length = varint(), length <= UInt64(bytes.count - min(i, bytes.count)) else { return nil }
                i += Int(length)
            case 5: i += 4
            default: return nil  // groups (3, 4) are not used by sentencepiece_model.proto
            }
        }
        return nil
    }
}
