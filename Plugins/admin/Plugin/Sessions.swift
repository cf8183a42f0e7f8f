import Foundation
import GatehouseJSON
import PluginKit

/// Other users' sessions: `/admin/list-user-sessions`, `revoke-user-session`,
/// `revoke-user-sessions`, and the hook that keeps impersonation sessions out of `/list-sessions`.
struct Sessions: Sendable {
    let context: AdminContext

    /// `POST /admin/list-user-sessions {userId}` → `{sessions}`: the user's live sessions, tokens included.
    func list(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try context.authorize(call, ["session": ["list"]], else: .notAllowedToListSessions)
        let id = try call.body.requiredText("userId")
        let rows = try context.db.findMany("session", [PluginDatabase.equals("userId", .string(id)),
                                                       ("expiresAt", ">", .string(ISODate.format(Date())))],
                                           orderBy: "createdAt")
        return .json(["sessions": .array(rows.map { AdminContext.output($0, shapedLike: caller.session) })])
    }

    /// `POST /admin/revoke-user-session {sessionToken}` → `{success: true}`.
    func revoke(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try context.authorize(call, ["session": ["revoke"]], else: .notAllowedToRevokeSessions)
        let token = try call.body.requiredText("sessionToken")
        let found = try context.host.call("sessions.find", ["token": .string(token)])["session"]?.nonNull
        _ = try context.host.call("sessions.delete", ["token": .string(token)])
        if let session = found?["session"], let userID = session["userId"]?.stringValue {
            context.announce("admin.session.revoked", caller, userID: userID, [("sessionId", session["id"] ?? .null)])
        }
        return .json(["success": true])
    }

    /// `POST /admin/revoke-user-sessions {userId}` → `{success: true}`: every session of the user.
    func revokeAll(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try context.authorize(call, ["session": ["revoke"]], else: .notAllowedToRevokeSessions)
        let id = try call.body.requiredText("userId")
        _ = try context.host.call("sessions.delete", ["userId": .string(id)])
        context.announce("admin.session.revoked", caller, userID: id, [("sessionId", .null)])
        return .json(["success": true])
    }

    /// After-hook of `/list-sessions`: an administrator's impersonation session is not the user's own.
    func hideImpersonations(_ call: PluginCall) -> PluginAnswer {
        guard let response = call.response, response["status"]?.intValue == 200, let sessions = response["body"]?.arrayValue else {
            return .keep
        }
        let own = sessions.filter { ($0["impersonatedBy"]?.stringValue ?? "").isEmpty }
        guard own.count != sessions.count else { return .keep }
        return PluginAnswer.json(.array(own)).replace()
    }
}
