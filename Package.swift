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
        .target(name: "EmbedStore", dependencies: ["CLMDB", "CKernels"]),
        .target(name: "CKernels"),
        .target(name: "Recall", dependencies: ["EmbedStore", "CKernels"], swiftSettings: simdFlags),
        .target(name: "Ranker", dependencies: ["EmbedStore", "CBLAS", "CKernels"], swiftSettings: simdFlags),
        // offline jobs over raw interaction logs: ranking samples
        .target(name: "Offline", dependencies: ["EmbedStore", "Recall", "CBLAS"]),
        // the recall -> rank pipeline and its caches: one API for the CLI and the service
        .target(name: "Serving", dependencies: ["EmbedStore", "Recall", "Ranker", "CKernels"], swiftSettings: simdFlags),
        // routes, error -> status mapping, metrics: the HTTP face of Serving
        .target(
            name: "RecsysHTTP",
            dependencies: [
                "Serving", "EmbedStore", "Recall",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // process-level setup for the executables (OpenBLAS kernels and threads)
        .target(name: "ProcessSetup", dependencies: ["CKernels"]),
        .executableTarget(
            name: "recsys",
            dependencies: [
                "EmbedStore", "Recall", "Ranker", "Offline", "Serving", "RecsysHTTP", "ProcessSetup",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "RecsysBench", dependencies: ["EmbedStore", "Recall", "Ranker", "ProcessSetup"], path: "Sources/RecsysBench", swiftSettings: simdFlags),
        // temporary stores, generated vectors and the CLI runner, shared by every test target
        .target(name: "RecsysTestSupport", dependencies: ["EmbedStore"], path: "Tests/RecsysTestSupport"),
        .testTarget(name: "EmbedStoreTests", dependencies: ["EmbedStore", "RecsysTestSupport"]),
        .testTarget(name: "RecallTests", dependencies: ["Recall", "EmbedStore", "RecsysTestSupport"]),
        .testTarget(name: "RankerTests", dependencies: ["Ranker", "EmbedStore", "RecsysTestSupport"]),
        .testTarget(name: "OfflineTests", dependencies: ["Offline", "EmbedStore", "RecsysTestSupport"]),
        .testTarget(name: "ServingTests", dependencies: ["Serving", "Recall", "Ranker", "EmbedStore", "RecsysTestSupport"]),
        .testTarget(
            name: "RecsysHTTPTests",
            dependencies: [
                "RecsysHTTP", "Serving", "EmbedStore", "Offline", "RecsysTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // runs the built binary: depends on it so that `swift test` builds it
        .testTarget(name: "CLITests", dependencies: ["recsys", "EmbedStore", "RecsysTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
