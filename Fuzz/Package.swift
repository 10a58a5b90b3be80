// swift-tools-version:6.0
// The libFuzzer target for the Bolt decoders, kept out of the main package so that its normal builds never
// compile it. scripts/fuzz builds it with `--sanitize fuzzer --sanitize address` and `-enable-testing` (it
// reaches the internal chunk and message decoders through `@testable import Bolt`).
import Foundation
import PackageDescription

/// The main package is the parent directory; its identity is that directory's name, lowercased.
let project = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
    name: "BoltFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: project.path),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "BoltFuzz",
            dependencies: [
                .product(name: "Bolt", package: project.lastPathComponent.lowercased()),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        )
    ]
)
