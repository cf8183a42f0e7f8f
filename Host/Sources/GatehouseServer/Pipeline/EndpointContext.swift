import Foundation
import GatehouseJSON
import GatehouseStorage
import HTTPSyntax
import HTTPTypes

/// A signed-in session and its user, as `get-session` returns them.
public struct AuthSession: Sendable {
    public var session: Record
    public var user: Record

    public init(session: Record, user: Record) {
        self.session = session
        self.user = user
    }

    public var token: String { session.string("token") ?? "" }
    public var userID: String { user.id }
}

/// One request's journey through the pipeline: its input (which before-hooks may patch),
/// the session once resolved, and the headers and cookies the answer accumulates.
public final class EndpointContext {
    public let auth: AuthContext
    public let method: HTTPRequest.Method
    /// The path below the base path, e.g. `/sign-in/email`.
    public let path: String
    public var params: [String: String] = [:]
    public var query: [String: String]
    public var headers: HTTPFields {
        didSet { parsedCookies = nil }
    }
    private var parsedCookies: [String: String]?
    /// The parsed body: an object, or null when there was none.
    public var body: JSONValue
    public let rawBody: [UInt8]
    public let clientIP: String?
    public internal(set) var endpoint: Endpoint?
    /// Every route of the generation serving this request (for the OpenAPI document).
    public let routes: RouteTable

    /// Headers for the answer; `Set-Cookie` values accumulate across hooks and the endpoint.
    public var responseHeaders = HTTPFields()
    /// The session this request created (sign-in, sign-up), for after-hooks.
    public var newSession: AuthSession?
    /// `newSession` was not created here but handed over (a redeemed one-time token, ABI 1.5):
    /// clearing it must only take its cookies back, never end the session its owner still uses.
    public var newSessionHandedOver = false

    var resolvedSession: AuthSession??
    /// Whether the resolved session came from the `session_data` cookie rather than the database.
    public internal(set) var sessionFromCache = false

    init(auth: AuthContext, routes: RouteTable, method: HTTPRequest.Method, path: String, query: [String: String],
         headers: HTTPFields, rawBody: [UInt8], clientIP: String?) {
        self.auth = auth
        self.routes = routes
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.rawBody = rawBody
        body = .null
        self.clientIP = clientIP
    }

    public var userAgent: String? { headers[.userAgent] }

    /// Request cookies, read from the current (possibly patched) headers.
    public var cookies: [String: String] {
        if let parsedCookies { return parsedCookies }
        let parsed = CookieHeader.parse(headers[values: .cookie])
        parsedCookies = parsed
        return parsed
    }

    public func setCookie(_ name: String, _ value: String, maxAge: Int?, httpOnly: Bool = true, sameSite: String = "Lax", path: String = "/") {
        responseHeaders.append(HTTPField(name: .setCookie, value: auth.cookies.setCookie(name, value, maxAge: maxAge, httpOnly: httpOnly,
                                                                                           sameSite: sameSite, path: path)))
    }

    public func expireCookie(_ name: String, path: String = "/") {
        responseHeaders.append(HTTPField(name: .setCookie, value: auth.cookies.expire(name, path: path)))
    }

    /// The string at `key` in the body, if it is one.
    public func bodyString(_ key: String) -> String? { body[key]?.stringValue }
    public func bodyBool(_ key: String) -> Bool? { body[key]?.boolValue }

    /// The current session, resolved once per request (the cookie cache may answer
    /// unless `sensitive`).
    public func currentSession(sensitive: Bool = false) async throws -> AuthSession? {
        if !sensitive, let resolved = resolvedSession { return resolved }
        let found = try await auth.sessions.resolve(self, allowCache: !sensitive)
        resolvedSession = .some(found)
        return found
    }

    /// The session or 401 `UNAUTHORIZED`.
    public func requireSession(sensitive: Bool = false) async throws -> AuthSession {
        guard let session = try await currentSession(sensitive: sensitive) else { throw CoreErrors.unauthorized }
        return session
    }
}
