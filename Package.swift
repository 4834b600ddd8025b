// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Glassbox",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Glassbox", targets: ["Glassbox"]),
        .executable(name: "glassbox", targets: ["glassbox"]),
        .executable(name: "glassbox-bench", targets: ["glassbox-bench"]),
        .executable(name: "glassbox-gallery", targets: ["glassbox-gallery"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The runtime for the generated SentencePiece ModelProto types (tokenizer.model files).
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
    ],
    targets: [
        // C shims: the only places C headers are seen.
        .systemLibrary(name: "CGlassboxBLAS", path: "Sources/CGlassboxBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CGlassboxCairo", path: "Sources/CGlassboxCairo", pkgConfig: "cairo",
                       providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CGlassboxPango", path: "Sources/CGlassboxPango", pkgConfig: "pangocairo",
                       providers: [.apt(["libpango1.0-dev"])]),
        .systemLibrary(name: "CGlassboxPNG", path: "Sources/CGlassboxPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),

        // The float kernels that want AVX2/FMA/F16C, built for them with per-function target
        // attributes plus a portable copy, chosen at run time (no compiler flags: a package that
        // depends on Glassbox by version may not use unsafe flags).
        .target(name: "CGlassboxKernels"),

        // Library layers (imports point down only): Tensor <- ModelIO <- Runtime <- Glassbox.
        .target(name: "GlassboxTensor", dependencies: ["CGlassboxBLAS", "CGlassboxKernels"]),
        // The gate every input file goes through (regular files only, stated size limits).
        .target(name: "GlassboxFiles"),
        .target(name: "GlassboxModelIO", dependencies: ["GlassboxTensor", "GlassboxFiles", "CGlassboxPNG"]),
        .target(name: "GlassboxRuntime", dependencies: ["GlassboxTensor", "GlassboxModelIO"]),
        .target(name: "GlassboxAnalysis", dependencies: ["GlassboxTensor", "GlassboxRuntime"]),
        .target(name: "GlassboxTokenizers", dependencies: [
            "GlassboxFiles", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .target(name: "GlassboxRender", dependencies: ["CGlassboxCairo", "CGlassboxPango", "GlassboxFiles"]),
        // Self-contained interactive HTML pages (data, script and style inline), beside the Cairo pictures.
        .target(name: "GlassboxHTML", dependencies: ["GlassboxRender"]),
        // The bundled default models (weights as resources; trained by scripts/train/).
        .target(name: "GlassboxDefaults", resources: [.copy("Models")]),
        .target(name: "Glassbox", dependencies: [
            "GlassboxTensor", "GlassboxFiles", "GlassboxModelIO", "GlassboxRuntime", "GlassboxAnalysis", "GlassboxTokenizers",
            "GlassboxRender", "GlassboxHTML", "GlassboxDefaults",
        ]),

        // Tools.
        .executableTarget(name: "glassbox", dependencies: [
            "Glassbox", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "glassbox-gallery", dependencies: ["GlassboxRender"]),
        .executableTarget(name: "glassbox-bench", dependencies: [
            "Glassbox", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Tests.
        .target(name: "GlassboxTestSupport", dependencies: ["Glassbox", "CGlassboxCairo"], path: "Tests/GlassboxTestSupport"),
        .testTarget(name: "GlassboxTensorTests", dependencies: ["GlassboxTensor", "GlassboxTestSupport"]),
        .testTarget(name: "GlassboxModelIOTests", dependencies: ["GlassboxModelIO", "GlassboxTestSupport"]),
        .testTarget(name: "GlassboxRuntimeTests", dependencies: ["Glassbox", "GlassboxTestSupport"]),
        .testTarget(name: "GlassboxRenderTests", dependencies: ["GlassboxRender", "CGlassboxCairo", "GlassboxTestSupport"]),
        .testTarget(name: "GlassboxHTMLTests", dependencies: ["GlassboxHTML", "GlassboxModelIO", "GlassboxTestSupport"]),
        .testTarget(name: "GlassboxAnalysisTests", dependencies: ["GlassboxAnalysis", "GlassboxTestSupport"]),
        .testTarget(name: "GlassboxTokenizersTests", dependencies: ["GlassboxTokenizers", "GlassboxTestSupport"]),
        .testTarget(name: "GlassboxCLITests", dependencies: ["Glassbox", "CGlassboxCairo", "GlassboxTestSupport"]),

        // Fuzzing harnesses: scripts/fuzz.sh builds them with libFuzzer and AddressSanitizer; a plain
        // build makes each a replayer of the inputs named on its command line (Tests/Fuzz/README.md).
        .target(name: "GlassboxFuzzSupport", path: "Tests/Fuzz/Support"),
        .executableTarget(name: "fuzz-safetensors", dependencies: ["GlassboxModelIO", "GlassboxFuzzSupport"],
                          path: "Tests/Fuzz/safetensors"),
        .executableTarget(name: "fuzz-config", dependencies: ["GlassboxRuntime", "GlassboxFuzzSupport"],
                          path: "Tests/Fuzz/config"),
        .executableTarget(name: "fuzz-tokenizer", dependencies: ["GlassboxTokenizers", "GlassboxFuzzSupport"],
                          path: "Tests/Fuzz/tokenizer"),
        .executableTarget(name: "fuzz-sentencepiece", dependencies: ["GlassboxTokenizers", "GlassboxFuzzSupport"],
                          path: "Tests/Fuzz/sentencepiece"),
        .executableTarget(name: "fuzz-png", dependencies: ["GlassboxModelIO", "GlassboxFuzzSupport"],
                          path: "Tests/Fuzz/png"),
        .executableTarget(name: "fuzz-preprocessor", dependencies: ["GlassboxModelIO", "GlassboxFuzzSupport"],
                          path: "Tests/Fuzz/preprocessor"),
        .executableTarget(name: "fuzz-record", dependencies: ["Glassbox", "GlassboxFuzzSupport"],
                          path: "Tests/Fuzz/record"),
    ]
)
