import HTTPTypes

/// Finds the endpoint for a method and path: exact paths by dictionary, `:param` paths by segment match.
public struct RouteTable: Sendable {
    private var exact: [String: Endpoint] = [:]
    private var parameterized: [(method: HTTPRequest.Method, segments: [Substring], endpoint: Endpoint)] = []
    /// Endpoints serving every path below a prefix (`/scim/v2/**`), longest prefix first.
    private var subtrees: [(method: HTTPRequest.Method, prefix: String, endpoint: Endpoint)] = []
    /// Endpoints declared `wellKnown`, by method and `/.well-known/<name>`: served outside the
    /// base path only, so they are not among `endpoints` (the base path's routes).
    private var wellKnown: [String: Endpoint] = [:]
    /// Method and path of the endpoints whose path ends in `/` (ABI 1.10).
    private var trailingSlashRoutes: Set<String> = []
    public private(set) var endpoints: [Endpoint] = []

    public init() {}

    /// Adds a route; a second route for the same method and path is a conflict.
    public mutating func add(_ endpoint: Endpoint) throws(RouteConflict) {
        let segments = endpoint.path.split(separator: "/")
        if endpoint.wellKnown {
            let key = Self.key(endpoint.method, endpoint.path)
            guard wellKnown[key] == nil else { throw RouteConflict(method: endpoint.method, path: endpoint.path) }
            wellKnown[key] = endpoint
            return
        }
        if endpoint.servesSubpaths {
            let prefix = String(endpoint.path.dropLast(2))
            if subtrees.contains(where: { $0.method == endpoint.method && $0.prefix == prefix }) {
                throw RouteConflict(method: endpoint.method, path: endpoint.path)
            }
            subtrees.append((endpoint.method, prefix, endpoint))
            subtrees.sort { $0.prefix.count > $1.prefix.count }
        } else if segments.contains(where: { $0.hasPrefix(":") }) {
            let clash = parameterized.contains { $0.method == endpoint.method && Self.sameShape($0.segments, segments) }
            if clash { throw RouteConflict(method: endpoint.method, path: endpoint.path) }
            parameterized.append((endpoint.method, segments, endpoint))
        } else {
            let key = Self.key(endpoint.method, endpoint.path)
            guard exact[key] == nil else { throw RouteConflict(method: endpoint.method, path: endpoint.path) }
            exact[key] = endpoint
            if endpoint.servesTrailingSlash { trailingSlashRoutes.insert(key) }
        }
        endpoints.append(endpoint)
    }

    public func match(_ method: HTTPRequest.Method, _ path: String) -> (endpoint: Endpoint, params: [String: String])? {
        if let endpoint = exact[Self.key(method, path)] { return (endpoint, [:]) }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for route in parameterized where route.method == method && route.segments.count == segments.count {
            var params: [String: String] = [:]
            var matched = true
            for (pattern, actual) in zip(route.segments, segments) {
                if pattern.hasPrefix(":") {
                    guard !actual.isEmpty else { matched = false; break }
                    params[String(pattern.dropFirst())] = String(actual).removingPercentEncoding ?? String(actual)
                } else if pattern != actual {
                    matched = false
                    break
                }
            }
            if matched { return (route.endpoint, params) }
        }
        // What no other route serves: the rest of the path, still percent-encoded, as `**`.
        for route in subtrees where route.method == method && path.hasPrefix(route.prefix) && path.count > route.prefix.count {
            return (route.endpoint, ["**": String(path.dropFirst(route.prefix.count))])
        }
        return nil
    }

    /// Whether an endpoint serves this method and path with its trailing slash (`GET /console/`, ABI 1.10).
    public func servesTrailingSlash(_ method: HTTPRequest.Method, _ path: String) -> Bool {
        trailingSlashRoutes.contains(Self.key(method, path))
    }

    /// The `wellKnown` endpoint for a well-known URI asked for outside the base path.
    public func matchWellKnown(_ method: HTTPRequest.Method, _ path: String) -> (endpoint: Endpoint, params: [String: String])? {
        wellKnown[Self.key(method, path)].map { ($0, [:]) }
    }

    private static func key(_ method: HTTPRequest.Method, _ path: String) -> String { method.rawValue + " " + path }

    private static func sameShape(_ a: [Substring], _ b: [Substring]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { ($0.hasPrefix(":") && $1.hasPrefix(":")) || $0 == $1 }
    }
}

public struct RouteConflict: Error, Sendable, CustomStringConvertible {
    public let method: HTTPRequest.Method
    public let path: String
    public var description: String { "route \(method.rawValue) \(path) is already registered" }
}
