// swift-tools-version:6.0
import PackageDescription
import Foundation

/// Hot loops (dot products, the MLP) use AVX2/FMA on x86-64 unless
/// RECSYS_PORTABLE=1 asks for a baseline build.
let simdFlags: [SwiftSetting] = {
    #if arch(x86_64)
    if ProcessInfo.processInfo.environment["RECSYS_PORTABLE"] == nil {
        return [.unsafeFlags(["-target-cpu", "haswell"])]
    }
    #endif
    return []
}()

let package = Package(
    name: "recsys",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "recsys", targets: ["recsys"]),
        .executable(name: "recsys-bench", targets: ["RecsysBench"]),
        .library(name: "EmbedStore", targets: ["EmbedStore"]),
        .library(name: "Recall", targets: ["Recall"]),
        .library(name: "Ranker", targets: ["Ranker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "EmbedStore", dependencies: ["CLMDB"]),
        .target(name: "CKernels"),
        .target(name: "Recall", dependencies: ["EmbedStore", "CKernels"], swiftSettings: simdFlags),
        .target(name: "Ranker", dependencies: ["EmbedStore", "CBLAS", "CKernels"], swiftSettings: simdFlags),
        .executableTarget(
            name: "recsys",
            dependencies: [
                "EmbedStore", "Recall", "Ranker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "RecsysBench", dependencies: ["EmbedStore", "Recall", "Ranker"], path: "Sources/RecsysBench", swiftSettings: simdFlags),
        .testTarget(name: "EmbedStoreTests", dependencies: ["EmbedStore"]),
        .testTarget(name: "RecallTests", dependencies: ["Recall", "EmbedStore"]),
        .testTarget(name: "RankerTests", dependencies: ["Ranker", "EmbedStore"]),
        .testTarget(
            name: "recsysTests",
            dependencies: [
                "recsys",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ],
    swiftLanguageModes: [.v5]
)
