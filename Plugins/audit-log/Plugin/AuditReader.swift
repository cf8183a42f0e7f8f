import Foundation
import GatehouseJSON
import PluginKit

/// The list routes: a user's own entries, and everyone's for the configured administrators; the
/// page and filters the services share.
struct AuditReader: Sendable {
    static let defaultLimit = 50
    static let maximumLimit = 500
    let db: PluginDatabase
    let adminUserIDs: Set<String>

    /// `GET /audit-log/list?type&limit&offset`: the caller's entries.
    func ownEntries(_ call: PluginCall) throws -> PluginAnswer {
        try entries(userID: try Self.callerID(call), call)
    }

    /// `GET /audit-log/admin/list?userId&type&limit&offset`: anyone's entries, for administrators only.
    func anyEntries(_ call: PluginCall) throws -> PluginAnswer {
        guard adminUserIDs.contains(try Self.callerID(call)) else {
            throw PluginError(status: 403, code: "FORBIDDEN", message: "Only audit-log administrators may read other users' entries")
        }
        return try entries(userID: call.query("userId"), call)
    }

    private func entries(userID: String?, _ call: PluginCall) throws -> PluginAnswer {
        .json(try entries(try PageQuery(call, defaultLimit: Self.defaultLimit, maximumLimit: Self.maximumLimit),
                          matching: Self.filters(userID: userID, type: call.query("type"))))
    }

    /// `{entries, total}`: one page of the rows matching `conditions`, newest first, and how many match.
    func entries(_ page: PageQuery, matching conditions: [PluginDatabase.Condition]) throws -> JSONValue {
        let rows = try db.findMany("auditLog", conditions, orderBy: "createdAt", descending: true, limit: page.limit, offset: page.offset)
        return ["entries": .array(rows), "total": .int(try db.count("auditLog", conditions))]
    }

    /// Exact `userId` and `type`, and entries recorded at or after `since`.
    static func filters(userID: String?, type: String?, since: Date? = nil) -> [PluginDatabase.Condition] {
        var conditions: [PluginDatabase.Condition] = []
        if let userID { conditions.append(PluginDatabase.equals("userId", .string(userID))) }
        if let type { conditions.append(PluginDatabase.equals("type", .string(type))) }
        if let since { conditions.append(("createdAt", ">=", .string(ISODate.format(since)))) }
        return conditions
    }

    private static func callerID(_ call: PluginCall) throws -> String {
        guard let id = call.session?["user"]?["id"]?.stringValue else {
            throw PluginError(status: 401, code: "UNAUTHORIZED", message: "Unauthorized")
        }
        return id
    }
}
