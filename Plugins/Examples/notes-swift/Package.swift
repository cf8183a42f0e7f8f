// swift-tools-version: 6.1
import Foundation
import PackageDescription

// A plugin package outside Gatehouse's own: it uses Gatehouse's PluginKit and PluginKitTesting
// products only. It sits in the Gatehouse repository, so it names the checkout by a relative path;
// a package of your own would say `.package(url: "<Gatehouse's git URL>", from: "<version>")`
// (and name the package by that URL's last component in the products below).
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path

let package = Package(
    name: "notes",
    platforms: [.macOS(.v15)],
    products: [
        // The plugin: libnotes.so, installed as plugins.d/notes.so.
        .library(name: "notes", type: .dynamic, targets: ["NotesPlugin"]),
    ],
    dependencies: [
        .package(name: "Gatehouse", path: "../../.."),
    ],
    targets: [
        .target(
            name: "NotesPlugin",
            dependencies: [.product(name: "PluginKit", package: "Gatehouse")],
            swiftSettings: [.swiftLanguageMode(.v6)],
            // Export the entry symbol only (exports.map), so the plugin's own copies of libraries
            // never bind to the server's or another plugin's.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--version-script=\(root)/exports.map"])]
        ),
        .testTarget(
            name: "NotesPluginTests",
            dependencies: ["NotesPlugin", .product(name: "PluginKitTesting", package: "Gatehouse")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
