import GatehouseStorage

/// Everything one contributor adds to the server. The core registers through this
/// protocol exactly as a plugin does; loaded `.so` plugins are adapted to it.
public protocol AuthPlugin: Sendable {
    var id: String { get }
    var version: String { get }
    var endpoints: [Endpoint] { get }
    var beforeHooks: [BeforeHook] { get }
    var afterHooks: [AfterHook] { get }
    var middlewares: [RouterMiddleware] { get }
    var onRequest: [RequestInterceptor] { get }
    var onResponse: [ResponseInterceptor] { get }
    var rateLimitRules: [RateLimitRule] { get }
    var errorCodes: [ErrorCode] { get }
    var schema: SchemaExtension { get }
    /// Fields on a table no loaded plugin has are left out rather than refusing the plugin (ABI
    /// 1.4: a plugin with an optional `uses`, extending that plugin's tables).
    var fieldsWaitForTheirTables: Bool { get }
}

extension AuthPlugin {
    public var version: String { "0.0.0" }
    public var endpoints: [Endpoint] { [] }
    public var beforeHooks: [BeforeHook] { [] }
    public var afterHooks: [AfterHook] { [] }
    public var middlewares: [RouterMiddleware] { [] }
    public var onRequest: [RequestInterceptor] { [] }
    public var onResponse: [ResponseInterceptor] { [] }
    public var rateLimitRules: [RateLimitRule] { [] }
    public var errorCodes: [ErrorCode] { [] }
    public var schema: SchemaExtension { SchemaExtension() }
    public var fieldsWaitForTheirTables: Bool { false }
}
