import GatehouseJSON
import PluginKit

/// `GET /console/audit?type=&userId=&page=`: the audit log, newest first, through the audit-log
/// plugin's `list`. `userId` takes a user id or an e-mail address. Each row names its user by
/// e-mail; a failed sign-in names the address that was tried.
struct AuditPage: Sendable {
    /// Offered in the Type field's suggestions.
    static let knownTypes = [
        "signIn.succeeded", "signIn.failed", "session.created", "session.revoked", "user.created", "user.updated", "user.deleted",
        "password.changed", "password.reset", "email.verified", "account.linked", "account.unlinked", "account.locked",
        "admin.user.banned", "admin.user.unbanned", "admin.user.role.set", "admin.session.revoked",
        "twoFactor.enabled", "twoFactor.disabled",
    ]

    let context: ConsoleContext

    func show(_ visit: Visit) throws -> PluginAnswer {
        let viewer = try visit.actor
        let paging = try Paging(visit, size: context.settings.pageSize)
        let type = visit.query("type")
        let user = visit.query("userId")
        var values: [String: Any] = ["type": type, "user": user, "knownTypes": Self.knownTypes, "missing": false, "hasRows": false]
        var page = Page(template: "audit", title: "Audit log", section: .audit)
        var request: [(String, JSONValue)] = [("limit", .int(paging.size)), ("offset", .int(paging.offset))]
        if !type.isEmpty { request.append(("type", .string(type))) }
        var known = true
        if !user.isEmpty {
            if let id = try userID(user) { request.append(("userId", .string(id))) } else { known = false }
        }
        do {
            if !known {
                values["paging"] = paging.values(context.paths.page("audit"), hasNext: false)
            } else if let answer = try context.optionalService("audit-log", "list", .object(.init(uniqueKeysWithValues: request))) {
                let entries = answer["entries"]?.arrayValue ?? []
                var emails = EmailCache(context: context)
                let rows = try entries.map { try row($0, &emails) }
                values["rows"] = rows
                values["hasRows"] = !rows.isEmpty
                values["paging"] = paging.values(context.paths.page("audit"), query: [("type", type), ("userId", user)],
                                                 hasNext: paging.offset + entries.count < (answer["total"]?.intValue ?? 0))
            } else {
                values["missing"] = true
            }
        } catch let refusal as PluginError where refusal.isRefusal {
            page.alert = refusal
            page.status = refusal.consoleStatus
        }
        page.values = values
        return context.show(page, to: viewer)
    }

    /// The id the User field names: an e-mail address is looked up (nil: no such user).
    private func userID(_ text: String) throws -> String? {
        guard text.contains("@") else { return text }
        return try context.host.call("users.find", ["email": .string(text)])["user"]?["id"]?.stringValue
    }

    private func row(_ entry: JSONValue, _ emails: inout EmailCache) throws -> [String: Any] {
        let type = entry["type"]?.displayText ?? ""
        // A json column: an object, or its text on a database that keeps it as text.
        let data = entry["data"]?.stringValue.flatMap { try? JSONValue.parse($0) } ?? entry["data"]?.nonNull
        let userID = entry["userId"]?.stringValue
        var email = ""
        if type == "signIn.failed" {
            email = data?["email"]?.displayText ?? ""
        } else if let userID {
            email = try emails.email(of: userID) ?? data?["user"]?["email"]?.stringValue ?? userID
        }
        var values: [String: Any] = [
            "type": type, "created": DisplayTime.value(entry["createdAt"]), "email": email,
            "ip": entry["ipAddress"]?.displayText ?? "", "userAgent": entry["userAgent"]?.displayText ?? "",
        ]
        if let userID, type != "signIn.failed" || data?["userId"]?.nonNull != nil { values["href"] = context.paths.page("users", userID) }
        return values
    }

    /// Users' e-mails, each looked up once per page.
    private struct EmailCache {
        let context: ConsoleContext
        var known: [String: String?] = [:]

        mutating func email(of userID: String) throws -> String? {
            if let cached = known[userID] { return cached }
            let email = try context.user(id: userID)?["email"]?.stringValue
            known[userID] = email
            return email
        }
    }
}
