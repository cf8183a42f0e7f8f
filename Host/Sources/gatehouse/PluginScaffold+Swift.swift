import Foundation

extension PluginScaffold {
    /// A Swift package with the plugin as a dynamic library (entry symbol exported only), a test
    /// on PluginKitTesting, and a README.
    static func swiftProject(id: String, gatehouse: Gatehouse) -> Project {
        let type = typeName(id)
        let (dependency, package) = switch gatehouse {
        case .checkout(let root):
            (".package(name: \"Gatehouse\", path: \"\(escaped(root.path))\")", "Gatehouse")
        case .remote(let url, let version):
            // A URL dependency is named by its identity: the last path component, without .git.
            (".package(url: \"\(escaped(url))\", from: \"\(escaped(version))\")",
             String(url.split(separator: "/").last ?? "gatehouse").replacingOccurrences(of: ".git", with: "").lowercased())
        }
        return [
            ("Package.swift", """
            // swift-tools-version: 6.1
            import Foundation
            import PackageDescription

            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path

            let package = Package(
                name: "\(id)",
                platforms: [.macOS(.v15)],
                products: [
                    // The plugin: lib\(id).so, installed as plugins.d/\(id).so.
                    .library(name: "\(id)", type: .dynamic, targets: ["\(type)"]),
                ],
                dependencies: [
                    \(dependency),
                ],
                targets: [
                    .target(
                        name: "\(type)",
                        dependencies: [.product(name: "PluginKit", package: "\(package)")],
                        swiftSettings: [.swiftLanguageMode(.v6)],
                        // Export the entry symbol only, so the plugin's own copies of libraries never
                        // bind to the server's or another plugin's.
                        linkerSettings: [.unsafeFlags(["-Xlinker", "--version-script=\\(root)/exports.map"])]
                    ),
                    .testTarget(
                        name: "\(type)Tests",
                        dependencies: ["\(type)", .product(name: "PluginKitTesting", package: "\(package)")],
                        swiftSettings: [.swiftLanguageMode(.v6)]
                    ),
                ]
            )

            """),
            ("exports.map", """
            /* Linker version script: the plugin exports gatehouse_plugin_entry_v1 only. */
            {
              global: gatehouse_plugin_entry_v1;
              local: *;
            };

            """),
            ("Sources/\(type)/\(type).swift", """
            import GatehouseJSON
            import PluginKit

            /// \(id): `GET /\(id)/hello?name=…` greets the caller with the `greeting` setting
            /// (`plugins.\(id).greeting` in gatehouse.yaml).
            struct \(type): GatehousePlugin {
                static let id = "\(id)"
                static let version = "0.1.0"
                static let name = "\(id)"
                static let manifest: JSONValue = [
                    "endpoints": [["method": "GET", "path": "/\(id)/hello", "summary": "Greets the caller"]],
                ]

                let greeting: String

                init(host: PluginHost, settings: JSONValue) throws {
                    greeting = settings["greeting"]?.stringValue ?? "Hello"
                }

                func handle(_ call: PluginCall) throws -> PluginAnswer {
                    .json(["message": .string("\\(greeting), \\(call.query("name") ?? "world")!")])
                }
            }

            @_cdecl("gatehouse_plugin_entry_v1")
            public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: \(type).self) }

            """),
            ("Tests/\(type)Tests/\(type)Tests.swift", """
            import GatehouseJSON
            import PluginKitTesting
            import Testing
            @testable import \(type)

            /// The plugin on PluginKitTesting's fake host: no server needed.
            @Test func greetsWithTheConfiguredGreeting() throws {
                let host = try FakeHost(plugin: \(type).self, settings: ["greeting": "Welcome"])
                let answer = try host.request("GET", "/\(id)/hello?name=Ada")
                #expect(answer.status == 200)
                #expect(answer.body == ["message": "Welcome, Ada!"])
            }

            """),
            (".gitignore", ".build/\n.swiftpm/\n"),
            ("README.md", """
            # \(id)

            A Gatehouse plugin in Swift on PluginKit. It adds `GET /api/auth/\(id)/hello`, which
            answers `{"message": "<greeting>, <name>!"}` with the `greeting` setting.

            Build it with the same Swift toolchain as the Gatehouse server that will load it: Linux
            Swift has no stable ABI, and the server refuses a plugin built with another one.

            ```sh
            swift build -c release                    # the plugin: .build/release/lib\(id).so
            swift test                                # unit tests on PluginKitTesting's fake host, no server
            chmod go-w .build/release/lib\(id).so      # Gatehouse refuses a group- or world-writable library (umask 002)
            gatehouse plugins check .build/release/lib\(id).so
            # drop it in (copy, then rename, so a running server never sees half a file):
            cp .build/release/lib\(id).so /path/to/plugins.d/.\(id).so.tmp
            mv /path/to/plugins.d/.\(id).so.tmp /path/to/plugins.d/\(id).so
            curl 'http://localhost:3000/api/auth/\(id)/hello?name=Ada'
            ```

            If the server lists `pluginTrust.publicKeys`, sign the library and copy the signature
            (as `\(id).so.sig`) first: `gatehouse plugins sign --key plugin-signing.key .build/release/lib\(id).so`.

            Settings go in gatehouse.yaml:

            ```yaml
            plugins:
              \(id):
                greeting: Welcome
            ```

            `Sources/\(type)/` is the plugin, `Tests/\(type)Tests/` its tests, `exports.map` keeps
            the library's only exported symbol `gatehouse_plugin_entry_v1`. The ABI, the manifest and
            PluginKit are described in Gatehouse's docs/plugin-abi.md.

            """),
        ]
    }
}
