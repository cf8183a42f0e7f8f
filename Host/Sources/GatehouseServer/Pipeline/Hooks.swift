/// What a before-hook decided: go on (possibly after patching the context's body or
/// headers) or answer instead of the endpoint.
public enum BeforeHookOutcome: Sendable {
    case proceed
    case respond(APIResponse)
}

/// Runs before matching endpoints, after the origin check and router middlewares.
public struct BeforeHook: Sendable {
    public let owner: String
    public let matcher: PathPattern
    public let run: @Sendable (EndpointContext) async throws -> BeforeHookOutcome

    public init(owner: String, matcher: PathPattern, run: @escaping @Sendable (EndpointContext) async throws -> BeforeHookOutcome) {
        self.owner = owner
        self.matcher = matcher
        self.run = run
    }
}

/// Runs after matching endpoints; sees the answer (success or error) and `newSession`,
/// and may return a replacement.
public struct AfterHook: Sendable {
    public let owner: String
    public let matcher: PathPattern
    /// Runs after every other after-hook, on the request's outcome (ABI 1.5 `runsLast`).
    public let runsLast: Bool
    public let run: @Sendable (EndpointContext, APIResponse) async throws -> APIResponse?

    public init(owner: String, matcher: PathPattern, runsLast: Bool = false,
                run: @escaping @Sendable (EndpointContext, APIResponse) async throws -> APIResponse?) {
        self.owner = owner
        self.matcher = matcher
        self.runsLast = runsLast
        self.run = run
    }
}

/// A router middleware: runs for matching paths after the origin check; answering stops the request.
public struct RouterMiddleware: Sendable {
    public let owner: String
    public let matcher: PathPattern
    public let run: @Sendable (EndpointContext) async throws -> APIResponse?

    public init(owner: String, matcher: PathPattern, run: @escaping @Sendable (EndpointContext) async throws -> APIResponse?) {
        self.owner = owner
        self.matcher = matcher
        self.run = run
    }
}

/// `onRequest`: sees every request under the base path before routing; may answer it.
public struct RequestInterceptor: Sendable {
    public let owner: String
    public let run: @Sendable (EndpointContext) async throws -> APIResponse?

    public init(owner: String, run: @escaping @Sendable (EndpointContext) async throws -> APIResponse?) {
        self.owner = owner
        self.run = run
    }
}

/// `onResponse`: sees every answer last; may replace it.
public struct ResponseInterceptor: Sendable {
    public let owner: String
    public let run: @Sendable (EndpointContext, APIResponse) async throws -> APIResponse?

    public init(owner: String, run: @escaping @Sendable (EndpointContext, APIResponse) async throws -> APIResponse?) {
        self.owner = owner
        self.run = run
    }
}

/// A per-path rate limit a contributor asks for (`max` requests per `window` seconds).
public struct RateLimitRule: Sendable {
    public let matcher: PathPattern
    public let window: Int
    public let max: Int

    public init(_ matcher: PathPattern, window: Int, max: Int) {
        self.matcher = matcher
        self.window = window
        self.max = max
    }
}
