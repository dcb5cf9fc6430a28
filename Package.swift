// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "rds-backupd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rds-backupd", targets: ["rds-backupd"]),
        .library(name: "RDSClient", targets: ["RDSClient"]),
        .library(name: "RDSSimulator", targets: ["RDSSimulator"]),
        .library(name: "BackupScheduler", targets: ["BackupScheduler"]),
        .library(name: "OffsiteCopy", targets: ["OffsiteCopy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/jpsim/Yams", "5.0.1"..<"7.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // libsystemd through pkg-config (apt: libsystemd-dev).
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // glibc's posix_spawn extensions, for Spawn.
        .systemLibrary(name: "CSpawn"),
        // timerfd with TFD_TIMER_CANCEL_ON_SET: the scheduler learns at once that the wall clock was set.
        .systemLibrary(name: "CTimerFD"),
        // Child processes without Foundation's Process (see ChildProcess.swift).
        .target(name: "Spawn", dependencies: ["CSpawn"]),
        .target(
            name: "Systemd",
            dependencies: [
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RDSClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "RDSSimulator",
            dependencies: [
                "RDSClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The object storage's MD5 ETags.
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Offsite copies of backup files (issue 19): download, manifest, verify, retention.
        // Below the scheduler: it depends on the client only.
        .target(
            name: "OffsiteCopy",
            dependencies: [
                "RDSClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "BackupScheduler",
            dependencies: [
                "RDSClient", "Spawn", "OffsiteCopy", "CTimerFD",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "rds-backupd",
            dependencies: [
                "RDSClient",
                "RDSSimulator",
                "BackupScheduler",
                "OffsiteCopy",
                "Systemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The simulator of the process benchmarks (scripts/bench_process.py): N instances, latency,
        // the gateway's rate limit. Here, not in Benchmarks/, so `make bench` builds it in the same
        // release build as rds-backupd instead of building every dependency a second time.
        .executableTarget(name: "bench-simulator", dependencies: ["RDSClient", "RDSSimulator"]),
        // The offsite-copy benchmark (scripts/bench_copy.py): a simulator with one large backup, and
        // the copy engine measured in a process of its own.
        .executableTarget(name: "copy-bench", dependencies: ["OffsiteCopy", "RDSClient", "RDSSimulator"]),
        // Shared by the test targets: a started simulator with a client for it, captured logs, the
        // manual service clock.
        .target(
            name: "RDSTestSupport",
            dependencies: [
                "RDSClient", "RDSSimulator", "Spawn", "BackupScheduler",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RDSClientTests",
            dependencies: [
                "RDSClient", "RDSSimulator", "RDSTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RDSSimulatorTests",
            dependencies: [
                "RDSSimulator", "RDSClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "BackupSchedulerTests",
            dependencies: [
                "BackupScheduler", "RDSClient", "RDSSimulator", "RDSTestSupport", "Spawn", "OffsiteCopy",
                // The alerting tests' loopback ping receiver.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "OffsiteCopyTests",
            dependencies: [
                "OffsiteCopy", "RDSClient", "RDSSimulator", "RDSTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "SystemdTests",
            dependencies: ["Systemd", "BackupScheduler", "RDSClient", .product(name: "Logging", package: "swift-log"), "RDSTestSupport"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["rds-backupd", "RDSSimulator", "RDSClient", "RDSTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
