// swift-tools-version:6.1
// Micro benchmarks of rds-backupd (issue 8), kept out of the main package so its build stays lean.
// Run: cd Benchmarks && swift package --disable-sandbox benchmark --target Micro
import PackageDescription

let package = Package(
    name: "rds-backupd-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        // The trait list turns off the package's RuntimeInterposer default, whose package is not available here.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Micro",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "BackupScheduler", package: "main"),
                .product(name: "RDSClient", package: "main"),
            ],
            path: "Benchmarks/Micro",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
