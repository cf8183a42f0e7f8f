import Foundation
import GatehouseStorage
import GatehouseJSON
import HTTPTypes
import Logging

/// A request under the base path as it arrives, before routing.
struct IncomingRequest: Sendable {
    var method: HTTPRequest.Method
    /// The path below the base path.
    var path: String
    var query: [String: String]
    var headers: HTTPFields
    var body: [UInt8]
    var clientIP: String?
    /// A well-known URI asked for outside the base path (`/.well-known/<name>{basePath}`): only
    /// endpoints declared `wellKnown` serve it, with `path` = `/.well-known/<name>`.
    var outsideBasePath = false
}

/// Runs one request through Better Auth's order: disabled paths → rate limiter → onRequest →
/// routing → origin/CSRF check → router middlewares → before hooks → validation and session
/// requirement → endpoint → after hooks → onResponse; then, before it answers, the deliveries
/// of its events to `"sync": true` subscribers (`EventScope`).
extension PluginGeneration {
    func respond(to request: IncomingRequest, logger: Logger) async -> (APIResponse, route: String) {
        let events = EventScope(ipAddress: auth.config.advanced.disableIpTracking ? nil : request.clientIP,
                                userAgent: request.headers[.userAgent])
        return await events.serving { await answer(request, logger: logger) }
    }

    private func answer(_ request: IncomingRequest, logger: Logger) async -> (APIResponse, route: String) {
        let ctx = EndpointContext(auth: auth, routes: routes, method: request.method, path: request.path, query: request.query,
                                  headers: request.headers, rawBody: request.body, clientIP: request.clientIP)
        var (response, route) = await outcome(request, ctx, logger: logger)
        // The route's own headers (ABI 1.11) on every answer, the rate limiter's too, which comes before routing.
        response.addMissingHeaders(ctx.endpoint?.responseHeaders
            ?? declaredHeaders(request.method, request.path, outsideBasePath: request.outsideBasePath))
        return (response, route)
    }

    /// The headers the route serving `method path` declares for every answer (ABI 1.11); none
    /// when no route serves it, or the path is answered 404 before routing (so a disabled route
    /// looks like a missing one).
    func declaredHeaders(_ method: HTTPRequest.Method, _ path: String, outsideBasePath: Bool) -> HTTPFields {
        guard isRoutable(method, path) else { return HTTPFields() }
        let match = outsideBasePath ? routes.matchWellKnown(method, path) : routes.match(method, path)
        return match?.endpoint.responseHeaders ?? HTTPFields()
    }

    /// False for the paths answered 404 before routing: `//`, a trailing slash no route declares,
    /// `advanced.disabledPaths`.
    private func isRoutable(_ method: HTTPRequest.Method, _ path: String) -> Bool {
        !(path.contains("//") || (path.hasSuffix("/") && path.count > 1 && !routes.servesTrailingSlash(method, path))
            || auth.config.advanced.disabledPaths.contains(path))
    }

    private func outcome(_ request: IncomingRequest, _ ctx: EndpointContext, logger: Logger) async -> (APIResponse, route: String) {
        let path = request.path
        guard isRoutable(request.method, path) else { return (APIResponse(error: .empty(.notFound)), "unmatched") }
        if let limiter = rateLimiter {
            do {
                if case .limited(let retryAfter) = try await limiter.check(ip: request.clientIP, path: path) {
                    var response = APIResponse.json(["message": "Too many requests. Please try again later."], status: .tooManyRequests)
                    response.headers[HTTPField.Name("X-Retry-After")!] = String(retryAfter)
                    return (response, "rate-limited")
                }
            } catch {
                logger.error("rate limiter failed", metadata: ["error": "\(error)"])
            }
        }
        var route = "unmatched"
        var response: APIResponse
        do {
            response = try await dispatch(ctx, outsideBasePath: request.outsideBasePath, route: &route, logger: logger)
        } catch let error as APIError {
            response = APIResponse(error: error)
        } catch let error as DatabaseUnavailable {
            logger.warning("request failed: database unavailable", metadata: ["path": "\(path)", "error": "\(error)"])
            response = APIResponse(error: CoreErrors.databaseUnavailable)
        } catch is DatabaseRejectedValue {
            response = APIResponse(error: CoreErrors.valueCannotBeStored)
        } catch is DatabaseUniqueViolation {
            response = APIResponse(error: APIError(.conflict, "UNIQUE_VIOLATION", "A value in the request is already in use"))
        } catch {
            logger.error("request failed", metadata: ["path": "\(path)", "error": "\(error)"])
            response = APIResponse(error: APIError(.internalServerError, "INTERNAL_SERVER_ERROR", "Internal server error"))
        }
        // A plugin sees a lost database as a failed host call and may answer 500: while the
        // database is away, every server error is the same JSON 503.
        if response.status.code >= 500, response.status != .serviceUnavailable, !(await auth.database.isReachable()) {
            response = APIResponse(error: CoreErrors.databaseUnavailable)
        }
        for interceptor in onResponse {
            if let replaced = try? await interceptor.run(ctx, response) { response = replaced }
        }
        for field in ctx.responseHeaders {
            if field.name == .setCookie || response.headers[field.name] == nil { response.headers.append(field) }
        }
        // Whatever signed the user in (a core route or a plugin's `signIn` answer), unless a
        // plugin turned it into a challenge (`clearSession`) or the answer became an error.
        if let session = ctx.newSession, response.status.code < 400 { auth.store.events.signInSucceeded(session) }
        return (response, route)
    }

    private func dispatch(_ ctx: EndpointContext, outsideBasePath: Bool, route: inout String, logger: Logger) async throws -> APIResponse {
        for interceptor in onRequest {
            if let answer = try await interceptor.run(ctx) { return answer }
        }
        let match = outsideBasePath ? routes.matchWellKnown(ctx.method, ctx.path) : routes.match(ctx.method, ctx.path)
        guard let (endpoint, params) = match else { return APIResponse(error: .empty(.notFound)) }
        route = "\(endpoint.method.rawValue) \(endpoint.path)"
        ctx.endpoint = endpoint
        ctx.params = params
        if !endpoint.rawBody { ctx.body = try RequestBody.parse(ctx, endpoint: endpoint) }
        try OriginCheck.run(ctx)
        for middleware in middlewares where middleware.matcher.matches(ctx.path) {
            if let answer = try await middleware.run(ctx) { return answer }
        }
        for hook in beforeHooks where hook.matcher.matches(ctx.path) {
            if case .respond(let answer) = try await hook.run(ctx) { return answer }
        }
        var response: APIResponse
        do {
            try validate(ctx, endpoint: endpoint)
            try await requireAuth(ctx, endpoint.auth)
            response = try await endpoint.handler(ctx)
        } catch let error as APIError {
            response = APIResponse(error: error)
        }
        for hook in afterHooks where hook.matcher.matches(ctx.path) {
            if let replaced = try await hook.run(ctx, response) { response = replaced }
        }
        return response
    }

    private func validate(_ ctx: EndpointContext, endpoint: Endpoint) throws {
        if !ctx.body.isNull, ctx.body.objectValue == nil { throw CoreErrors.bodyMustBeObject }
        var problems: [String] = []
        if let schema = endpoint.body { problems += schema.problems(in: ctx.body, location: "body") }
        if let schema = endpoint.query {
            problems += schema.problems(in: .object(.init(uniqueKeysWithValues: ctx.query.map { ($0.key, JSONValue.string($0.value)) })),
                                        location: "query")
        }
        if !problems.isEmpty { throw APIError(.badRequest, "VALIDATION_ERROR", problems.joined(separator: "; ")) }
    }

    private func requireAuth(_ ctx: EndpointContext, _ requirement: AuthRequirement) async throws {
        switch requirement {
        case .none: return
        case .session: _ = try await ctx.requireSession()
        case .sensitiveSession: _ = try await ctx.requireSession(sensitive: true)
        case .freshSession:
            let session = try await ctx.requireSession()
            guard auth.sessions.isFresh(session) else { throw CoreErrors.error("SESSION_NOT_FRESH", .forbidden) }
        }
    }
}
