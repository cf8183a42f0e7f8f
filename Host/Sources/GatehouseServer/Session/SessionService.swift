import Foundation
import GatehouseCrypto
import GatehouseJSON
import GatehouseStorage

/// Creates sessions, writes and clears their cookies, and resolves the session of a request
/// from its signed cookie (through the cookie cache when it is on).
public struct SessionService: Sendable {
    let auth: AuthContext

    private var settings: GatehouseConfig.Session { auth.config.session }

    /// Creates a session row for `user`, sets the cookies and records it as the request's new session.
    @discardableResult
    public func signIn(_ ctx: EndpointContext, user: Record, rememberMe: Bool = true) async throws -> AuthSession {
        let session = try await createSession(for: user, rememberMe: rememberMe, client: client(of: ctx), in: auth.store)
        establish(ctx, session, rememberMe: rememberMe)
        return session
    }

    /// What a new session records of the client: its address (unless IP tracking is off) and user agent.
    func client(of ctx: EndpointContext) -> (ipAddress: String?, userAgent: String?) {
        (auth.config.advanced.disableIpTracking ? nil : ctx.clientIP, ctx.userAgent)
    }

    /// The session row alone, written through `store` (which may be a transaction's).
    func createSession(for user: Record, rememberMe: Bool, client: (ipAddress: String?, userAgent: String?),
                       in store: AuthStore) async throws -> AuthSession {
        let lifetime = rememberMe ? settings.expiresIn : 86_400
        let row = try await store.createSession(
            for: user, token: RandomIdentifier.generate(), expiresAt: Date().addingTimeInterval(TimeInterval(lifetime)),
            ipAddress: client.ipAddress, userAgent: client.userAgent)
        return AuthSession(session: row, user: user)
    }

    /// Sets the cookies of a created session and records it as the request's new session.
    func establish(_ ctx: EndpointContext, _ session: AuthSession, rememberMe: Bool) {
        setCookies(ctx, session, rememberMe: rememberMe)
        ctx.newSession = session
        ctx.newSessionHandedOver = false
        ctx.resolvedSession = .some(session)
    }

    /// Writes `session_token` (and `dont_remember`, `session_data` when they apply).
    public func setCookies(_ ctx: EndpointContext, _ session: AuthSession, rememberMe: Bool) {
        let cookies = auth.cookies
        ctx.setCookie(cookies.sessionToken, auth.signer.sign(session.token), maxAge: rememberMe ? settings.expiresIn : nil)
        if !rememberMe { ctx.setCookie(cookies.dontRemember, auth.signer.sign("true"), maxAge: nil) }
        if settings.cookieCacheEnabled {
            for (name, value) in CookieCache(auth: auth).cookies(for: session) {
                ctx.setCookie(name, value, maxAge: rememberMe ? settings.cookieCacheMaxAge : nil)
            }
        }
    }

    /// Expires every session cookie (sign-out, invalid or expired session), as Better Auth's
    /// `deleteSessionCookie`: `session_token`, `session_data` and `dont_remember` always, whether
    /// or not the request carries them or the cookie cache is on (a cache left from an earlier
    /// configuration dies too), plus any `session_data` chunks it carries. A sign-in turned
    /// into a challenge keeps `dont_remember`, so the completed sign-in can honour it.
    public func clearCookies(_ ctx: EndpointContext, keepingDontRemember: Bool = false) {
        let cookies = auth.cookies
        ctx.expireCookie(cookies.sessionToken)
        ctx.expireCookie(cookies.sessionData)
        if !keepingDontRemember { ctx.expireCookie(cookies.dontRemember) }
        for name in ctx.cookies.keys where name.hasPrefix(cookies.sessionData + ".") {
            ctx.expireCookie(name)
        }
    }

    /// The token from the signed session cookie, if the signature holds.
    public func token(from ctx: EndpointContext) -> String? {
        ctx.cookies[auth.cookies.sessionToken].flatMap(auth.sessionCookies.token)
    }

    /// Whether the request carries a `dont_remember` cookie signed by us.
    public func isDontRemember(_ ctx: EndpointContext) -> Bool {
        ctx.cookies[auth.cookies.dontRemember].flatMap(auth.signer.verify) == "true"
    }

    /// The request's session; an expired one is deleted and its cookies cleared.
    func resolve(_ ctx: EndpointContext, allowCache: Bool) async throws -> AuthSession? {
        guard let token = token(from: ctx) else { return nil }
        let allowCache = allowCache && ctx.query["disableCookieCache"] != "true"
        if allowCache, settings.cookieCacheEnabled,
            let cached = CookieCache(auth: auth).session(from: ctx.cookies, token: token)
        {
            ctx.sessionFromCache = true
            return cached
        }
        guard let found = try await auth.store.session(token: token, cached: allowCache) else { return nil }
        guard let expires = found.session.date("expiresAt"), expires > Date() else {
            try await auth.store.deleteSession(token: token)
            clearCookies(ctx)
            return nil
        }
        return found
    }

    /// Whether the session is due for a refresh (older than `updateAge` since its last one).
    public func needsRefresh(_ session: AuthSession) -> Bool {
        guard !settings.disableSessionRefresh, let expires = session.session.date("expiresAt") else { return false }
        let refreshedAt = expires.addingTimeInterval(-TimeInterval(settings.expiresIn))
        return refreshedAt.addingTimeInterval(TimeInterval(settings.updateAge)) <= Date()
    }

    /// Extends the session to `now + expiresIn` and reissues its cookies.
    public func refresh(_ ctx: EndpointContext, _ session: AuthSession) async throws -> AuthSession {
        let expiresAt = Date().addingTimeInterval(TimeInterval(settings.expiresIn))
        guard let row = try await auth.store.updateSession(token: session.token, ["expiresAt": .date(expiresAt)]) else { return session }
        let refreshed = AuthSession(session: row, user: session.user)
        setCookies(ctx, refreshed, rememberMe: true)
        return refreshed
    }

    /// Whether the session was created less than `freshAge` ago (`freshAge` 0 disables the check).
    public func isFresh(_ session: AuthSession) -> Bool {
        guard settings.freshAge > 0 else { return true }
        guard let created = session.session.date("createdAt") else { return false }
        return Date().timeIntervalSince(created) < TimeInterval(settings.freshAge)
    }
}
