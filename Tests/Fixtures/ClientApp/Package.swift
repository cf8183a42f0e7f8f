// swift-tools-version: 6.1
// A third-party app's package: Gatehouse as a path dependency, GatehouseClient its only product
// (Tests/http/test_client_package.py builds and runs it against a real server).
import PackageDescription

let package = Package(
    name: "ClientApp",
    platforms: [.macOS(.v15), .iOS(.v16)],
    dependencies: [.package(name: "Gatehouse", path: "../../..")],
    targets: [
        .executableTarget(name: "ClientApp", dependencies: [.product(name: "GatehouseClient", package: "Gatehouse")],
                          path: "Sources/ClientApp", swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
