#!/usr/bin/env bash
# Regenerates Sources/GlassboxTokenizers/SentencePiece/sentencepiece_model.pb.swift, the message
# types of SentencePiece's ModelProto (the `tokenizer.model` file), from
# scripts/sentencepiece/sentencepiece_model.proto (copied unchanged from the sentencepiece 0.2.1
# sdist, Apache-2.0). The generated file is committed: a normal build needs only the SwiftProtobuf
# runtime library, never protoc or the plugin.
#
#   usage: scripts/generate-sentencepiece-proto.sh
#
# Needs `protoc` (Debian: apt-get install protobuf-compiler) and builds `protoc-gen-swift` from the
# swift-protobuf checkout SwiftPM resolved for this package (the version Package.resolved pins,
# so the generated code matches the runtime it is compiled against).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "generate-sentencepiece-proto: needs protoc (apt-get install protobuf-compiler)" >&2; exit 1; }
swift package resolve
checkout=.build/checkouts/swift-protobuf
[ -d "$checkout" ] || { echo "generate-sentencepiece-proto: no $checkout after 'swift package resolve'" >&2; exit 1; }
swift build -c release -j 2 --package-path "$checkout" --scratch-path .build/protoc-gen-swift --product protoc-gen-swift
protoc --plugin=protoc-gen-swift=.build/protoc-gen-swift/release/protoc-gen-swift \
    --swift_opt=Visibility=Internal --swift_out=Sources/GlassboxTokenizers/SentencePiece \
    -I scripts/sentencepiece scripts/sentencepiece/sentencepiece_model.proto
echo "wrote Sources/GlassboxTokenizers/SentencePiece/sentencepiece_model.pb.swift"
