import Foundation
import GatehouseJSON
import PluginKit

/// The console's own session: a `session` row made at its sign-in, carried by the signed cookie
/// `<prefix>.console_session` (HttpOnly, SameSite=Strict, Path `{basePath}/console`). The app's
/// session cookie and Bearer tokens are never read: a request is an administrator's only with
/// this cookie, its live row, the console's mark on that row, and the admin plugin's verdict.
struct ConsoleSessions: Sendable {
    static let cookieBase = "console_session"

    let context: ConsoleContext
    /// The cookie's full name (`better-auth.console_session`, `__Secure-` on https).
    let cookieName: String

    init(context: ConsoleContext) {
        self.context = context
        cookieName = context.host.cookieName(Self.cookieBase)
    }

    enum Resolution {
        /// No usable console session; `stale` when a cookie was sent that no longer works.
        case none(stale: Bool)
        /// A live console session of a user who is no longer an administrator.
        case notAdmin(Operator)
        case admin(Operator)
    }

    /// Who sends `call`: verifies the cookie's signature, finds the row, checks its expiry and the
    /// console's mark, then asks the admin plugin whether the user is an administrator.
    func resolve(_ call: PluginCall) throws -> Resolution {
        guard let raw = call.cookie(cookieName), !raw.isEmpty else { return .none(stale: false) }
        let host = context.host
        guard let token = host.verify(raw), !token.isEmpty,
              let found = try host.call("sessions.find", ["token": .string(token)])["session"]?.nonNull,
              let session = found["session"], let user = found["user"],
              let sessionID = session["id"]?.stringValue, let userID = user["id"]?.stringValue,
              let expiresAt = ISODate.parse(session["expiresAt"]), expiresAt > Date(),
              host.kvGet(Self.markKey(sessionID)) == userID
        else { return .none(stale: true) }
        let viewer = Operator(userID: userID, email: user["email"]?.stringValue ?? "", sessionID: sessionID, token: token)
        return try isAdmin(userID) ? .admin(viewer) : .notAdmin(viewer)
    }

    /// The admin plugin's verdict: a role in `adminRoles`, or listed in `adminUserIds`.
    func isAdmin(_ userID: String) throws -> Bool {
        try context.host.callService(plugin: "admin", service: "isAdmin", request: ["userId": .string(userID)])["admin"]?.boolValue == true
    }

    /// Opens a console session for `userID` as the core's sign-ins do (`signIn.succeeded`; a
    /// banned user is refused with `BANNED_USER`), marks it as the console's and sets its cookie on
    /// `answer`. Answers the session's id, for the first status message.
    func open(userID: String, _ call: PluginCall, on answer: PluginAnswer) throws -> (answer: PluginAnswer, sessionID: String) {
        let lifetime = context.settings.sessionExpiresIn
        let request: JSONValue = [
            "userId": .string(userID), "expiresIn": .int(lifetime), "signIn": true,
            "ipAddress": call.envelope["ip"] ?? .null, "userAgent": call.header("user-agent").map(JSONValue.string) ?? .null,
        ]
        let session = try context.host.call("sessions.create", request)["session"]
        guard let token = session?["token"]?.stringValue, let sessionID = session?["id"]?.stringValue else {
            throw PluginError(status: 500, code: "HOST_ERROR", message: "sessions.create answered no session")
        }
        context.host.kvSet(Self.markKey(sessionID), userID, ttlSeconds: Int64(lifetime))
        let withCookie = answer.cookie(Self.cookieBase, token, maxAge: lifetime, signed: true, path: context.paths.root, sameSite: "Strict")
        return (withCookie, sessionID)
    }

    /// Ends the console session: its row goes (`session.revoked`).
    func close(_ viewer: Operator) throws {
        _ = try context.host.call("sessions.delete", ["token": .string(viewer.token)])
    }

    /// `answer` deleting the console cookie.
    func expire(on answer: PluginAnswer) -> PluginAnswer {
        answer.expireCookie(Self.cookieBase, path: context.paths.root)
    }

    /// The console's mark on its own session rows: an app session's token in the console cookie
    /// (which only the server could have signed) still finds no mark.
    private static func markKey(_ sessionID: String) -> String { "session:" + sessionID }
}
