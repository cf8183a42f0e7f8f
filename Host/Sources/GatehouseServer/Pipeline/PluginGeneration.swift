import GatehouseStorage
import NIOConcurrencyHelpers

/// One immutable set of contributors (the core plus loaded plugins) with everything the
/// pipeline needs to serve them: routes, hooks, limits and the shared auth context.
/// A reload builds a new generation and swaps it in; requests finish on the one they began on.
public struct PluginGeneration: Sendable {
    public let number: Int
    public let auth: AuthContext
    public let plugins: [any AuthPlugin]
    public let routes: RouteTable
    let beforeHooks: [BeforeHook]
    let afterHooks: [AfterHook]
    let middlewares: [RouterMiddleware]
    let onRequest: [RequestInterceptor]
    let onResponse: [ResponseInterceptor]
    let rateLimiter: RateLimiter?
    /// Requests still running on this generation (a replaced generation is retired at zero).
    let inFlight = RequestCounter()

    /// The merged schema of `plugins`; a table or field defined twice is an error.
    public static func schema(of plugins: [any AuthPlugin]) throws -> Schema {
        var schema = Schema()
        for plugin in plugins {
            do {
                try schema.merge(plugin.schema, from: plugin.id, skippingAbsentTables: plugin.fieldsWaitForTheirTables)
            } catch {
                throw GenerationError(plugin: plugin.id, reason: error.description)
            }
        }
        return schema
    }

    /// Assembles a generation; route conflicts and duplicate ids are errors naming the plugin.
    init(number: Int, plugins: [any AuthPlugin], auth: AuthContext, rateLimitStore: (any RateLimitStore)?) throws {
        var seen = Set<String>()
        var routes = RouteTable()
        for plugin in plugins {
            guard seen.insert(plugin.id).inserted else { throw GenerationError(plugin: plugin.id, reason: "duplicate plugin id") }
            for endpoint in plugin.endpoints {
                do { try routes.add(endpoint) } catch { throw GenerationError(plugin: plugin.id, reason: error.description) }
            }
        }
        self.number = number
        self.auth = auth
        self.plugins = plugins
        self.routes = routes
        beforeHooks = plugins.flatMap(\.beforeHooks)
        // Load order, except that hooks declared `runsLast` follow all the others.
        let after = plugins.flatMap(\.afterHooks)
        afterHooks = after.filter { !$0.runsLast } + after.filter(\.runsLast)
        middlewares = plugins.flatMap(\.middlewares)
        onRequest = plugins.flatMap(\.onRequest)
        onResponse = plugins.flatMap(\.onResponse)
        rateLimiter = rateLimitStore.map {
            RateLimiter(store: $0, config: auth.config.rateLimit, pluginRules: plugins.flatMap(\.rateLimitRules),
                        ipv6Subnet: auth.config.advanced.ipv6Subnet)
        }
    }

    /// Every declared error code, by contributor.
    public var errorCodes: [(plugin: String, codes: [ErrorCode])] { plugins.map { ($0.id, $0.errorCodes) } }
}

public struct GenerationError: Error, Sendable, CustomStringConvertible {
    public let plugin: String
    public let reason: String
    public var description: String { "\(plugin): \(reason)" }
}

/// Counts requests in flight on one generation.
final class RequestCounter: Sendable {
    private let count = NIOLockedValueBox(0)

    func enter() { count.withLockedValue { $0 += 1 } }
    func leave() { count.withLockedValue { $0 -= 1 } }
    var value: Int { count.withLockedValue { $0 } }
}
