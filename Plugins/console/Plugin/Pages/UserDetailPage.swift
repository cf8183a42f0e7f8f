import GatehouseJSON
import PluginKit

/// `GET /console/users/<id>`: the profile, role and ban, the accounts' providers and the live
/// sessions (never a token), with the forms of `UserActions`. Read through the admin plugin's
/// `getUser` and `listUserSessions` (404 `USER_NOT_FOUND`, its permissions).
struct UserDetailPage: Sendable {
    let context: ConsoleContext

    func show(_ visit: Visit) throws -> PluginAnswer {
        context.show(try page(visit, userID: try visit.param("id")), to: try visit.actor)
    }

    /// The page, for a GET or for an action's refusal shown on it.
    func page(_ visit: Visit, userID: String) throws -> Page {
        let viewer = try visit.actor
        let answer = try context.admin("getUser", for: viewer, [("id", .string(userID))])
        let user = answer["user"]?.nonNull ?? answer
        let sessions = try context.admin("listUserSessions", for: viewer, [("userId", .string(userID))])["sessions"]?.arrayValue ?? []
        let accounts = try context.host.call("accounts.find", ["userId": .string(userID)])["accounts"]?.arrayValue ?? []
        let email = user["email"]?.displayText ?? ""
        let sessionRows: [[String: Any]] = sessions.map { session in
            let id = session["id"]?.stringValue ?? ""
            return [
                "id": id, "own": id == viewer.sessionID, "ip": session["ipAddress"]?.displayText ?? "",
                "userAgent": session["userAgent"]?.displayText ?? "",
                "created": DisplayTime.value(session["createdAt"]), "expires": DisplayTime.value(session["expiresAt"]),
                "revoke": context.paths.page("users", userID, "sessions", id, "revoke"),
            ]
        }
        let accountRows: [[String: Any]] = accounts.map { ["providerId": $0["providerId"]?.displayText ?? ""] }
        var values: [String: Any] = [
            "id": user["id"]?.displayText ?? userID, "email": email, "name": user["name"]?.displayText ?? "",
            "emailVerified": user["emailVerified"]?.boolValue == true ? "yes" : "no",
            "role": user["role"]?.displayText ?? "", "banned": user["banned"]?.boolValue == true, "banState": Self.banState(user),
            "created": DisplayTime.value(user["createdAt"]),
            "accounts": accountRows, "hasAccounts": !accountRows.isEmpty,
            "sessions": sessionRows, "hasSessions": !sessionRows.isEmpty,
            "actions": context.paths.page("users", userID),
        ]
        if let twoFactor = user["twoFactorEnabled"]?.boolValue { values["twoFactor"] = twoFactor ? "on" : "off" }
        return Page(template: "user", title: email.isEmpty ? "User" : email, section: .users, values: values)
    }

    /// "no", or "yes" with the reason and the end of the ban.
    private static func banState(_ user: JSONValue) -> String {
        guard user["banned"]?.boolValue == true else { return "no" }
        var text = "yes"
        if let reason = user["banReason"]?.stringValue, !reason.isEmpty { text += ": " + reason }
        if user["banExpires"]?.nonNull != nil { text += " (until " + DisplayTime.text(user["banExpires"]) + ")" }
        return text
    }
}
