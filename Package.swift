// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "Bolt", targets: ["Bolt"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // System libraries, linked through pkg-config (Debian: libpq-dev, libsystemd-dev).
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // glibc's mallopt(3): the executable tunes the allocator at start (MallocTuning).
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),

        // The parts of sluice, one target each.
        .target(
            name: "Bolt",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "JobStore",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "Migrations"),
        .target(name: "Throttle"),
        .target(
            name: "Systemd",
            dependencies: [
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Engine",
            dependencies: [
                "Bolt", "JobStore", "Migrations", "Systemd", "Throttle",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The long-running `sluice daemon` and its configuration file, a library so tests can reach it.
        .target(
            name: "Daemon",
            dependencies: [
                "Bolt", "Engine", "JobStore", "Migrations", "Systemd", "Throttle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "Bolt", "CMalloc", "Daemon", "Engine", "JobStore", "Migrations", "Systemd", "Throttle",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // scripts/bench-bolt's Swift side: Bolt client latency and streaming, built in release mode.
        .executableTarget(name: "BoltBench", dependencies: ["Bolt"]),
        // scripts/bench's bare loop: sluice's batch statements back to back, no job store.
        .executableTarget(name: "EngineBench", dependencies: ["Bolt", "Engine", "Migrations"]),
        // scripts/bench-micro: PackStream and chunk decoding throughput and heap allocations, no server.
        .executableTarget(
            name: "BoltMicroBench",
            dependencies: ["Bolt", "CAllocationCounter", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Counts malloc calls for BoltMicroBench (a malloc interposer: linked into that executable only).
        .target(name: "CAllocationCounter"),

        // Unit tests: pure, no sockets, no services.
        .testTarget(
            name: "BoltTests",
            dependencies: [
                "Bolt",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "JobStoreTests", dependencies: ["JobStore"]),
        .testTarget(name: "MigrationsTests", dependencies: ["Migrations"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "JobStore", "Bolt"]),
        .testTarget(name: "ThrottleTests", dependencies: ["Throttle"]),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon", "JobStore", "Throttle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SystemdTests",
            dependencies: ["Systemd", "TestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        // What more than one test target needs: the receiving end of sd_notify.
        .target(name: "TestSupport", path: "Tests/TestSupport"),

        // Integration tests: the real Postgres, Bolt servers and journal started by scripts/services.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Bolt", "Daemon", "Engine", "JobStore", "Migrations", "Systemd", "TestSupport", "Throttle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ]
)
