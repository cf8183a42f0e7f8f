import Foundation
import GatehouseJSON
import PluginKit

/// `/admin/impersonate-user` and `/admin/stop-impersonating`. The administrator's session stays
/// alive meanwhile; its token rides in the signed `admin_session` cookie as Better Auth keeps it,
/// `<token>:<dont_remember value or "">`, so stopping returns to that very session.
struct Impersonation: Sendable {
    let context: AdminContext

    private static let cookie = "admin_session"
    private static let dontRemember = "dont_remember"

    /// `POST /admin/impersonate-user {userId}` → `{session, user}`, signed in as the user for
    /// `impersonationSessionDuration` seconds.
    func start(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try context.authorize(call, ["user": ["impersonate"]], else: .notAllowedToImpersonate)
        let target = try context.existingUser(try call.body.requiredText("userId"))
        guard let targetID = target["id"]?.stringValue, let adminToken = caller.session["token"]?.stringValue else {
            throw AdminError.userNotFound.failure
        }
        if context.isAdministrator(target), !context.settings.allowImpersonatingAdmins {
            try context.require(caller, ["user": ["impersonate-admins"]], else: .cannotImpersonateAdmins)
        }
        let session = try createSession(for: targetID, by: caller, call)
        guard let token = session["token"]?.stringValue else { throw AdminError.failedToCreateUser.failure }
        let remembered = call.cookie(context.host.cookieName(Self.dontRemember)).flatMap(context.host.verify) ?? ""
        context.announce("admin.impersonation.started", caller, userID: targetID, [("sessionId", session["id"] ?? .null)])
        // The impersonation session is never refreshed past its end: dont_remember, as Better Auth sets it.
        return PluginAnswer.json(["session": session, "user": target])
            .cookie(Self.cookie, "\(adminToken):\(remembered)", maxAge: Self.secondsLeft(caller.session), signed: true)
            .cookie(Self.dontRemember, "true", maxAge: nil, signed: true)
            .signIn(sessionToken: token)
    }

    /// `POST /admin/stop-impersonating` → `{session, user}` of the administrator, whose own session
    /// cookies come back; the impersonation session is gone.
    func stop(_ call: PluginCall) throws -> PluginAnswer {
        guard let current = call.session?["session"], let impersonated = call.session?["user"] else { throw AdminError.unauthorized.failure }
        guard let adminID = current["impersonatedBy"]?.stringValue, !adminID.isEmpty else { throw AdminError.notImpersonating.failure }
        guard let signed = call.cookie(context.host.cookieName(Self.cookie)), let value = context.host.verify(signed),
              let separator = value.firstIndex(of: ":")
        else { throw AdminError.adminSessionNotFound.failure }
        let adminToken = String(value[..<separator])
        let remembered = !value[value.index(after: separator)...].isEmpty
        guard let admin = try context.host.call("sessions.find", ["token": .string(adminToken)])["session"]?.nonNull,
              admin["session"]?["userId"]?.stringValue == adminID, Self.secondsLeft(admin["session"] ?? .null) != nil
        else { throw AdminError.adminSessionNotFound.failure }
        if let token = current["token"]?.stringValue { _ = try context.host.call("sessions.delete", ["token": .string(token)]) }
        if let userID = impersonated["id"]?.stringValue {
            context.announce("admin.impersonation.stopped", try Caller(signedIn: admin), userID: userID, [("sessionId", current["id"] ?? .null)])
        }
        let answer = PluginAnswer.json(["session": admin["session"] ?? .null, "user": admin["user"] ?? .null]).expireCookie(Self.cookie)
        let restored = remembered ? answer.cookie(Self.dontRemember, "true", maxAge: nil, signed: true) : answer.expireCookie(Self.dontRemember)
        return restored.signIn(sessionToken: adminToken)
    }

    /// The impersonation session row, marked `impersonatedBy` the administrator. A target whose
    /// sign-in is held (a banned user) is refused as the hold says.
    private func createSession(for userID: String, by caller: Caller, _ call: PluginCall) throws -> JSONValue {
        let created: JSONValue
        do {
            created = try context.host.call("sessions.create", [
                "userId": .string(userID), "expiresIn": .int(context.settings.impersonationSessionDuration),
                "ipAddress": call.envelope["ip"] ?? .null, "userAgent": call.header("user-agent").map(JSONValue.string) ?? .null,
                "data": ["impersonatedBy": .string(caller.userID)],
            ])
        } catch let failure as PluginError where !Self.hostFailures.contains(failure.code) {
            if failure.code == AdminError.userNotFound.rawValue { throw AdminError.userNotFound.failure }
            throw PluginError(status: 403, code: failure.code, message: failure.message)
        }
        guard let session = created["session"]?.nonNull else { throw AdminError.failedToCreateUser.failure }
        return session
    }

    /// Codes of a failed `sessions.create` that are the server's, not a hold on the user's sign-in.
    private static let hostFailures: Set<String> = ["HOST_ERROR", "DATABASE_UNAVAILABLE", "NOT_READY", "VALIDATION_ERROR", "UNKNOWN_FIELD"]

    /// Whole seconds until the session expires, nil once it has.
    private static func secondsLeft(_ session: JSONValue) -> Int? {
        guard let end = ISODate.parse(session["expiresAt"]) else { return nil }
        let seconds = Int(end.timeIntervalSinceNow)
        return seconds > 0 ? seconds : nil
    }
}
