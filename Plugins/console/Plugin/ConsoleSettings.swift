import GatehouseJSON
import PluginKit

/// `plugins.console`: how many rows a list shows, and how long a console session lasts. An
/// unknown key or a bad value refuses the plugin with a message naming the key, never the value.
struct ConsoleSettings: Sendable {
    /// Rows per page of every list (users, organizations, deliveries, audit entries).
    var pageSize = 25
    /// Seconds a console session (its `session` row and cookie) lasts.
    var sessionExpiresIn = 28_800

    static let keys: Set<String> = ["pageSize", "sessionExpiresIn"]

    init(_ json: JSONValue) throws {
        let reader = try PluginSettings(json, pluginID: "console", keys: Self.keys)
        pageSize = try reader.int("pageSize", in: 1...200) ?? pageSize
        sessionExpiresIn = try reader.int("sessionExpiresIn", in: 60...2_592_000) ?? sessionExpiresIn
    }
}
