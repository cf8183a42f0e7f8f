import GatehouseJSON

/// A Gatehouse plugin written in Swift. Export it from the library with one line:
///
///     @_cdecl("gatehouse_plugin_entry_v1")
///     public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: MyPlugin.self) }
///
/// Calls may arrive on several threads at once: keep instance state immutable or locked.
public protocol GatehousePlugin: Sendable {
    /// Unique id, `[a-z0-9-]+`; settings live under `plugins.<id>`.
    static var id: String { get }
    static var version: String { get }
    static var name: String { get }
    /// What the plugin adds: endpoints, hooks, schema, error codes (docs/plugin-abi.md).
    static var manifest: JSONValue { get }

    /// Creates the plugin from its settings; throwing refuses to load with that message.
    init(host: PluginHost, settings: JSONValue) throws

    /// Serves one endpoint, hook or interceptor call.
    func handle(_ call: PluginCall) throws -> PluginAnswer
}

/// An error that stops `init` or answers a call with `{code, message}` and a status.
public struct PluginError: Error, Sendable {
    public let status: Int
    public let code: String
    public let message: String
    /// For a failed host call, the host's whole error object: members beyond `code` and
    /// `message`, such as `oauth.finish`'s `location`.
    public var detail: JSONValue?

    public init(status: Int = 400, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// How a plugin answers a failed host operation: 503 while the database is away; the host's
    /// own 4xx when it blames the request (a value the database cannot store is 400
    /// `VALIDATION_ERROR`, as the core answers it); otherwise `fallback` (by default a plain 500),
    /// never with the host's wording.
    public func answered(fallback: PluginError = PluginError(status: 500, code: "INTERNAL_SERVER_ERROR", message: "Internal server error")) -> PluginError {
        if code == "DATABASE_UNAVAILABLE" { return PluginError(status: 503, code: code, message: message) }
        if let status = detail?["status"]?.intValue, (400..<500).contains(status) { return self }
        return fallback
    }
}
