import GatehouseJSON

extension PluginHost {
    /// Calls `service` of plugin `plugin` (ABI 1.2), which this plugin's manifest lists in `uses`,
    /// and returns the provider's answer unchanged. A blocking call (docs/plugin-abi.md §11).
    ///
    /// Throws `PluginNotLoaded` when `plugin` is an optional use that is not loaded, so the caller
    /// can degrade; a provider's refusal as the `PluginError` it threw (its code and status, so
    /// rethrowing it answers the client as the provider would have); any other failure
    /// (`UNKNOWN_SERVICE`, `SERVICE_FAILED`, `PLUGIN_NOT_DECLARED`) as a `PluginError` with that code.
    public func callService(plugin: String, service: String, request: JSONValue = [:]) throws -> JSONValue {
        do {
            return try call("services.call", ["plugin": .string(plugin), "service": .string(service), "request": request])
        } catch let error as PluginError where error.code == "PLUGIN_NOT_LOADED" {
            throw PluginNotLoaded(plugin: plugin)
        }
    }
}

/// A service call to an optional plugin that is not loaded in this generation.
public struct PluginNotLoaded: Error, Sendable {
    public let plugin: String
}
