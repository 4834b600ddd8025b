import Foundation
import GlassboxFiles
import SwiftProtobuf

/// A SentencePiece `tokenizer.model` (Kudo & Richardson 2018, "SentencePiece", §3: a
/// self-contained model file), read from its protobuf `ModelProto` with the generated types in
/// `sentencepiece_model.pb.swift` and checked as `sentencepiece` 0.2.1 checks it on load
/// (`ModelInterface::InitializePieces`): no empty piece, no piece twice among the matchable ones
/// (normal, user-defined, unused) nor twice among the reserved ones (unknown, control, byte),
/// exactly one unknown piece, byte pieces only with `byte_fallback` and then all 256 of them.
/// Further, as a typed error rather than the C++ library's silent default: a piece or model
/// type outside the enum, a used field with the wrong wire type, a Word or Char model, invalid
/// UTF-8 (docs/correctness.md § Tokenizers).
struct SentencePieceModel: Sendable {
    /// What a piece is (`ModelProto.SentencePiece.Type`).
    enum Kind: Sendable, Equatable {
        /// Learned by the trainer; matched in text.
        case normal
        /// The unknown piece (`<unk>`), never matched in text.
        case unknown
        /// A control symbol (`<s>`, `</s>`): never matched in text, decoded as nothing.
        case control
        /// Given to the trainer; matched whole before normalization and always preferred.
        case userDefined
        /// In the vocabulary but never produced (BPE resegments it into its parts).
        case unused
        /// `<0x00>`…`<0xFF>`, the byte-fallback pieces.
        case byte
    }

    /// The segmentation algorithm (`TrainerSpec.model_type`).
    enum Algorithm: String, Sendable {
        case unigram = "Unigram"
        case bpe = "BPE"
    }

    let pieces: [String]
    let scores: [Float]
    let kinds: [Kind]
    let algorithm: Algorithm
    /// Matchable pieces (normal, user-defined, unused) → id: SentencePiece's `pieces_`.
    let matchable: PieceTable
    /// Unknown, control and byte pieces → id: SentencePiece's `reserved_id_map_`.
    let reserved: PieceTable
    let unknownID: Int
    let byteFallback: Bool
    /// Ids of `<0x00>`…`<0xFF>` (with byte fallback; the unknown id otherwise).
    let byteIDs: [Int]
    /// What an unknown piece decodes to (`TrainerSpec.unk_surface`, default " ⁇ ").
    let unknownSurface: String
    let userDefined: [String]
    let normalizer: SentencePieceNormalizer
    /// Applied to decoded text when the model has denormalization rules.
    let denormalizer: SentencePieceNormalizer?
    /// `NormalizerSpec.add_dummy_prefix` / `remove_extra_whitespaces`, which decoding consults.
    let addDummyPrefix: Bool
    let removeExtraWhitespaces: Bool
    /// `NormalizerSpec.precompiled_charsmap` as stored: what transformers' converters copy into a
    /// `Precompiled` normalizer (`FairseqSentencePiece`).
    let precompiledCharsmap: Data
    /// Special ids the trainer recorded (`-1`: none); informational, `encode` does not add them.
    let bosID: Int, eosID: Int, padID: Int

    /// Parses and checks a `tokenizer.model`; `file` names it in errors.
    init(data: Data, file: String) throws {
        func fail(_ detail: String) -> TokenizerError { .malformedFile(file: file, detail: detail) }
        let proto: Sentencepiece_ModelProto
        do {
            proto = try Sentencepiece_ModelProto(serializedBytes: data)
        } catch let error as BinaryDecodingError {
            throw fail("not a SentencePiece ModelProto: " + Self.describe(error))
        } catch {
            throw fail("not a SentencePiece ModelProto: \(error)")
        }
        let trainer = proto.trainerSpec
        func checkWireTypes(_ data: Data, _ fields: Set<Int>, _ where_: String) throws {
            if let n = ProtoFieldScan.first(of: fields, in: data) { throw fail("\(where_) field \(n) has the wrong wire type") }
        }
        try checkWireTypes(proto.unknownFields.data, [1, 2, 3, 4, 5], "ModelProto")
        try checkWireTypes(trainer.unknownFields.data, [24, 35, 40, 41, 42, 43, 44], "trainer_spec")
        for (name, spec) in [("normalizer_spec", proto.normalizerSpec), ("denormalizer_spec", proto.denormalizerSpec)] {
            try checkWireTypes(spec.unknownFields.data, [1, 2, 3, 4, 5], name)
        }
        if ProtoFieldScan.contains(field: 3, in: trainer.unknownFields.data) {
            throw fail("trainer_spec.model_type is not a known model type (UNIGRAM=1, BPE=2, WORD=3, CHAR=4)")
        }
        switch trainer.modelType {
        case .unigram: algorithm = .unigram
        case .bpe: algorithm = .bpe
        case .word, .char:
            throw TokenizerError.unsupportedType(part: .model, type: "SentencePiece \(trainer.modelType)",
                                                 supported: ["SentencePiece Unigram", "SentencePiece BPE"], file: file)
        }
        guard !proto.pieces.isEmpty else { throw fail("the model has no pieces") }
        var matchable = PieceTable(capacity: proto.pieces.count)
        var reserved = PieceTable(capacity: 300)
        var kinds: [Kind] = []
        kinds.reserveCapacity(proto.pieces.count)
        var unknownID = -1
        var byteIDs = [Int](repeating: -1, count: 256)
        var userDefined: [String] = []
        for (i, p) in proto.pieces.enumerated() {
            try checkWireTypes(p.unknownFields.data, [1, 2], "piece \(i)")
            if p.piece.isEmpty { throw fail("piece \(i) is empty") }
            if p.piece.utf8.count > InputLimits.tokenBytes {
                throw TokenizerError.tokenTooLong(file: file, what: "piece \(i)", bytes: p.piece.utf8.count,
                                                  limit: InputLimits.tokenBytes)
            }
            if ProtoFieldScan.contains(field: 3, in: p.unknownFields.data) {
                throw fail("piece \(i) (\(p.piece.debugDescription)) has an unknown type")
            }
            let kind: Kind
            switch p.type {
            case .normal: kind = .normal
            case .unknown: kind = .unknown
            case .control: kind = .control
            case .userDefined: kind = .userDefined
            case .unused: kind = .unused
            case .byte: kind = .byte
            }
            let isMatchable = kind == .normal || kind == .userDefined || kind == .unused
            if (isMatchable ? matchable : reserved).id(of: p.piece) != nil {
                throw fail("piece \(i) (\(p.piece.debugDescription)) is already defined")
            }
            if isMatchable { matchable.insert(p.piece, id: i) } else { reserved.insert(p.piece, id: i) }
            switch kind {
            case .userDefined: userDefined.append(p.piece)
            case .unknown:
                if unknownID >= 0 { throw fail("pieces \(unknownID) and \(i) are both the unknown piece") }
                unknownID = i
            case .byte:
                guard trainer.byteFallback else {
                    throw fail("byte piece \(i) (\(p.piece)) although trainer_spec.byte_fallback is false")
                }
                guard let byte = Self.byteValue(p.piece) else { throw fail("byte piece \(i) (\(p.piece.debugDescription)) is not <0xXX>") }
                byteIDs[Int(byte)] = i
            default: break
            }
            kinds.append(kind)
        }
        guard unknownID >= 0 else { throw fail("no piece has the type UNKNOWN") }
        if trainer.byteFallback, let missing = byteIDs.firstIndex(of: -1) {
            throw fail("byte_fallback is set but the byte piece <0x\(Self.hex(UInt8(missing)))> is missing")
        }
        pieces = proto.pieces.map(\.piece)
        scores = proto.pieces.map(\.score)
        self.kinds = kinds
        self.matchable = matchable
        self.reserved = reserved
        self.unknownID = unknownID
        byteFallback = trainer.byteFallback
        self.byteIDs = byteIDs.map { $0 < 0 ? unknownID : $0 }
        unknownSurface = trainer.hasUnkSurface ? trainer.unkSurface : " \u{2047} "
        self.userDefined = userDefined
        let spec = proto.normalizerSpec
        addDummyPrefix = spec.addDummyPrefix
        removeExtraWhitespaces = spec.removeExtraWhitespaces
        precompiledCharsmap = spec.precompiledCharsmap
        normalizer = try SentencePieceNormalizer(spec: spec, userDefined: userDefined,
                                                 whitespaceAsSuffix: trainer.treatWhitespaceAsSuffix, file: file)
        if proto.hasDenormalizerSpec, !proto.denormalizerSpec.precompiledCharsmap.isEmpty {
            denormalizer = try SentencePieceNormalizer(spec: proto.denormalizerSpec, userDefined: [],
                                                       whitespaceAsSuffix: false, file: file)
        } else {
            denormalizer = nil
        }
        bosID = Int(trainer.bosID)
        eosID = Int(trainer.eosID)
        padID = Int(trainer.padID)
    }

    /// The id of `piece` as `ModelInterface::PieceToId` finds it: reserved pieces first, then the
    /// matchable ones, else the unknown id.
    func id(_ piece: UnsafeBufferPointer<UInt8>) -> Int {
        reserved.id(piece) ?? matchable.id(piece) ?? unknownID
    }

    /// The byte of a `<0xXX>` piece (two uppercase hex digits, as `ByteToPiece` writes them).
    static func byteValue(_ piece: String) -> UInt8? {
        let u = Array(piece.utf8)
        guard u.count == 6, piece.hasPrefix("<0x"), u[5] == UInt8(ascii: ">") else { return nil }
        let digits = String(decoding: u[3..<5], as: UTF8.self)
        guard digits == digits.uppercased(), let value = UInt8(digits, radix: 16) else { return nil }
        return value
    }

    static func hex(_ b: UInt8) -> String {
        let s = String(b, radix: 16, uppercase: true)
        return s.count == 1 ? "0" + s : s
    }

    private static func describe(_ error: BinaryDecodingError) -> String {
        switch error {
        case .truncated: "the data is truncated (a length or value runs past the end)"
        case .invalidUTF8: "a string field is not valid UTF-8"
        case .malformedProtobuf: "malformed protobuf (a bad field tag, wire type or length)"
        case .messageDepthLimit: "messages are nested too deeply"
        default: "\(error)"
        }
    }
}
