import GatehouseJSON
import PluginKit

/// The smallest Swift plugin on PluginKit: `GET /hello-swift` greets the signed-in user.
struct HelloSwiftPlugin: GatehousePlugin {
    static let id = "hello-swift"
    static let version = "1.0.0"
    static let name = "Hello from Swift"
    static let manifest: JSONValue = [
        "endpoints": [["method": "GET", "path": "/hello-swift", "auth": "session", "summary": "Greets the signed-in user"]],
    ]

    let greeting: String

    init(host: PluginHost, settings: JSONValue) throws {
        greeting = settings["greeting"]?.stringValue ?? "Hello"
        host.log(.info, "hello-swift ready")
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        let name = call.session?["user"]?["name"]?.stringValue ?? "stranger"
        return .json(["message": .string("\(greeting), \(name)!")])
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: HelloSwiftPlugin.self) }
