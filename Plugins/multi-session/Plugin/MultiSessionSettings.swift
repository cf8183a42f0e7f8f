import GatehouseJSON
import PluginKit

/// `plugins.multi-session`, with Better Auth's option name and default (`MultiSessionConfig`).
struct MultiSessionSettings: Sendable {
    /// How many accounts one browser holds at once.
    var maximumSessions = 5

    init(_ json: JSONValue) throws {
        let reader = try PluginSettings(json, pluginID: "multi-session", keys: ["maximumSessions"])
        maximumSessions = try reader.int("maximumSessions", in: 1...100) ?? maximumSessions
    }
}
