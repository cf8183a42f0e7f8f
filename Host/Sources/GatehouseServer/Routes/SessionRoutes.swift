import Foundation
import GatehouseJSON
import GatehouseStorage
import HTTPTypes

/// get-session, sign-out, list/revoke sessions and update-session.
enum SessionRoutes {
    static var endpoints: [Endpoint] {
        [getSession(.get), getSession(.post), signOut, listSessions, revokeSession, revokeSessions, revokeOtherSessions, updateSession]
    }

    static func getSession(_ method: HTTPRequest.Method) -> Endpoint {
        Endpoint(
            method, "/get-session",
            query: BodySchema([.init("disableCookieCache", .string), .init("disableRefresh", .string)]),
            summary: method == .get ? "Get the current session" : "Refresh the current session (deferSessionRefresh)", tag: "Session", statuses: method == .post ? [.methodNotAllowed] : []
        ) { ctx in
            let auth = ctx.auth
            let settings = auth.config.session
            if method == .post, !settings.deferSessionRefresh {
                throw CoreErrors.error("METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED", .methodNotAllowed)
            }
            var response = try await answer(ctx)
            response.headers[.cacheControl] = "no-store"
            response.headers[HTTPField.Name("pragma")!] = "no-cache"
            return response
        }
    }

    private static func answer(_ ctx: EndpointContext) async throws -> APIResponse {
        let auth = ctx.auth
        let settings = auth.config.session
        let hadCookie = ctx.cookies[auth.cookies.sessionToken] != nil
        guard var session = try await ctx.currentSession() else {
            if hadCookie { auth.sessions.clearCookies(ctx) }
            return .json(.null)
        }
        let mayRefresh = !auth.sessions.isDontRemember(ctx) && ctx.query["disableRefresh"] != "true"
        let due = mayRefresh && auth.sessions.needsRefresh(session)
        if settings.deferSessionRefresh, ctx.method == .get {
            var body = auth.output(session).objectValue!
            body["needsRefresh"] = .bool(due)
            return .json(.object(body))
        }
        if due {
            session = try await auth.sessions.refresh(ctx, session)
        } else if settings.cookieCacheEnabled, !ctx.sessionFromCache {
            auth.sessions.setCookies(ctx, session, rememberMe: !auth.sessions.isDontRemember(ctx))
        }
        return .json(auth.output(session))
    }

    static let signOut = Endpoint(
        .post, "/sign-out", body: BodySchema([.init("callbackURL", .string), .init("disableRedirect", .boolean)]),
        summary: "Sign out and delete the current session", tag: "Session"
    ) { ctx in
        if let token = ctx.auth.sessions.token(from: ctx) {
            try await ctx.auth.store.deleteSession(token: token)
        }
        ctx.auth.sessions.clearCookies(ctx)
        return .json(["success": true])
    }

    static let listSessions = Endpoint(
        .get, "/list-sessions", auth: .freshSession, summary: "List the user's active sessions", tag: "Session"
    ) { ctx in
        let session = try await ctx.requireSession()
        let now = Date()
        let rows = try await ctx.auth.store.sessions(userID: session.userID).filter { ($0.date("expiresAt") ?? .distantPast) > now }
        return .json(.array(rows.map { ctx.auth.output("session", $0) }))
    }

    static let revokeSession = Endpoint(
        .post, "/revoke-session", auth: .sensitiveSession, body: BodySchema([.init("token", .string, required: true)]),
        summary: "Revoke one of the user's sessions by token", tag: "Session"
    ) { ctx in
        let session = try await ctx.requireSession(sensitive: true)
        let token = ctx.bodyString("token") ?? ""
        // Only the caller's own sessions; anyone else's token is a silent no-op.
        if let target = try await ctx.auth.store.session(token: token), target.userID == session.userID {
            try await ctx.auth.store.deleteSession(token: token)
        }
        return .json(["status": true])
    }

    static let revokeSessions = Endpoint(
        .post, "/revoke-sessions", auth: .sensitiveSession, summary: "Revoke all of the user's sessions", tag: "Session"
    ) { ctx in
        let session = try await ctx.requireSession(sensitive: true)
        try await ctx.auth.store.deleteSessions(userID: session.userID)
        return .json(["status": true])
    }

    static let revokeOtherSessions = Endpoint(
        .post, "/revoke-other-sessions", auth: .sensitiveSession, summary: "Revoke all sessions but the current one", tag: "Session"
    ) { ctx in
        let session = try await ctx.requireSession(sensitive: true)
        try await ctx.auth.store.deleteSessions(userID: session.userID, except: session.token)
        return .json(["status": true])
    }

    static let updateSession = Endpoint(
        .post, "/update-session", auth: .session, summary: "Update additional session fields", tag: "Session"
    ) { ctx in
        let session = try await ctx.requireSession()
        let changes = try ctx.auth.inputFields("session", from: ctx.body, reserved: [])
        let core: Set<String> = ["expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId"]
        guard !changes.fields.isEmpty, changes.fields.keys.allSatisfy({ !core.contains($0) }) else { throw CoreErrors.noFieldsToUpdate }
        guard let row = try await ctx.auth.store.updateSession(token: session.token, changes) else { throw CoreErrors.unauthorized }
        let updated = AuthSession(session: row, user: session.user)
        ctx.auth.sessions.setCookies(ctx, updated, rememberMe: !ctx.auth.sessions.isDontRemember(ctx))
        return .json(["session": ctx.auth.output("session", row)])
    }
}
