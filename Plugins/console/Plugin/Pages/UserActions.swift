import GatehouseJSON
import PluginKit

/// The forms of a user's page: ban, unban, set role, revoke a session. Each runs the admin
/// plugin's service for the signed-in administrator (its permission checks, refusals and
/// `admin.*` events), then answers 303 back to the user's page with a status message; a refusal
/// shows the page again with the admin plugin's status and code.
struct UserActions: Sendable {
    let context: ConsoleContext
    let detail: UserDetailPage
    let sessions: ConsoleSessions

    /// `POST /console/users/<id>/ban`, field `reason`.
    func ban(_ visit: Visit) throws -> PluginAnswer {
        try act(visit) { viewer, userID in
            let reason = visit.field("reason")
            _ = try context.admin("banUser", for: viewer, [("userId", .string(userID))] + (reason.isEmpty ? [] : [("banReason", .string(reason))]))
            return "User banned."
        }
    }

    /// `POST /console/users/<id>/unban`.
    func unban(_ visit: Visit) throws -> PluginAnswer {
        try act(visit) { viewer, userID in
            _ = try context.admin("unbanUser", for: viewer, [("userId", .string(userID))])
            return "User unbanned."
        }
    }

    /// `POST /console/users/<id>/role`, field `role` (one role, or several comma-separated).
    func setRole(_ visit: Visit) throws -> PluginAnswer {
        try act(visit) { viewer, userID in
            let role = visit.field("role")
            let answer = try context.admin("setRole", for: viewer, [("userId", .string(userID)), ("role", .string(role))])
            return "Role set to \(answer["user"]?["role"]?.stringValue ?? role)."
        }
    }

    /// `POST /console/users/<id>/sessions/<sessionId>/revoke`: the session is found by id among
    /// the user's; its token stays on the server.
    func revokeSession(_ visit: Visit) throws -> PluginAnswer {
        let sessionID = try visit.param("sessionId")
        var ownSession = false
        let answer = try act(visit) { viewer, userID in
            guard let row = try context.db.findOne("session", [PluginDatabase.equals("id", .string(sessionID)),
                                                              PluginDatabase.equals("userId", .string(userID))]),
                  let token = row["token"]?.stringValue
            else { throw ConsoleError.sessionNotFound.failure }
            _ = try context.admin("revokeUserSession", for: viewer, [("sessionToken", .string(token))])
            ownSession = sessionID == viewer.sessionID
            return "Session revoked."
        }
        // The administrator ended their own console session: nothing left to come back to.
        return ownSession ? sessions.expire(on: context.renderer.redirect(to: context.paths.signedOut)) : answer
    }

    /// Runs `action` for the user of the path; its message on success, its refusal shown on the
    /// user's page (which is itself a 404 page for an unknown user).
    private func act(_ visit: Visit, _ action: (Operator, String) throws -> String) throws -> PluginAnswer {
        let viewer = try visit.actor
        let userID = try visit.param("id")
        do {
            let message = try action(viewer, userID)
            return context.done(message, for: viewer, returnTo: context.paths.page("users", userID))
        } catch let refusal as PluginError where refusal.isRefusal {
            var page = try detail.page(visit, userID: userID)
            page.status = refusal.consoleStatus
            page.alert = refusal
            return context.show(page, to: viewer)
        }
    }
}
