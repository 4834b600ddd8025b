import Foundation

/// Field numbers in the raw bytes SwiftProtobuf keeps as a message's `unknownFields`. A proto2
/// enum value outside the enum (a `model_type` of 7, a piece `type` of 9) is not an error for the
/// protobuf decoder: it leaves the field at its default and keeps the raw field there. The
/// loader looks for it so such a file is refused instead of read as the default type.
enum ProtoFieldScan {
    /// Whether `data` (well-formed fields: the decoder has already parsed them) holds `field`.
    static func contains(field: Int, in data: Data) -> Bool {
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
            guard let key = varint() else { return false }
            if key >> 3 == UInt64(field) { return true }
            switch key & 7 {
            case 0: guard varint() != nil else { return false }
            case 1: i += 8
            case 2:
                guard let length = varint(), length <= UInt64(bytes.count - min(i, bytes.count)) else { return false }
                i += Int(length)
            case 5: i += 4
            default: return false  // groups (3, 4) are not used by sentencepiece_model.proto
            }
        }
        return false
    }
}
