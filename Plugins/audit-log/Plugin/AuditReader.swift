import GatehouseJSON
import PluginKit

/// The list routes: a user's own entries, and everyone's for the configured administrators.
struct AuditReader: Sendable {
    static let defaultLimit = 50
    static let maximumLimit = 500
    /// Beyond this a number no longer reaches the database exactly (JSON numbers are doubles).
    static let largestNumber = 1_000_000_000_000_000

    let host: PluginHost
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

    /// `{entries, total}`: one page of the rows matching the filters, newest first, and how many match.
    private func entries(userID: String?, _ call: PluginCall) throws -> PluginAnswer {
        let limit = min(try Self.count(call, "limit", minimum: 1) ?? Self.defaultLimit, Self.maximumLimit)
        let offset = try Self.count(call, "offset", minimum: 0) ?? 0
        var conditions: [JSONValue] = []
        if let userID { conditions.append(["field": "userId", "value": .string(userID)]) }
        if let type = call.query("type") { conditions.append(["field": "type", "value": .string(type)]) }
        let page = try host.call("db.findMany", [
            "table": "auditLog", "where": .array(conditions), "orderBy": ["field": "createdAt", "direction": "desc"],
            "limit": .int(limit), "offset": .int(offset),
        ])
        let total = try host.call("db.count", ["table": "auditLog", "where": .array(conditions)])["count"] ?? 0
        return .json(["entries": page["rows"] ?? [], "total": total])
    }

    private static func callerID(_ call: PluginCall) throws -> String {
        guard let id = call.session?["user"]?["id"]?.stringValue else {
            throw PluginError(status: 401, code: "UNAUTHORIZED", message: "Unauthorized")
        }
        return id
    }

    /// A whole-number query parameter of at least `minimum`, nil when absent.
    private static func count(_ call: PluginCall, _ name: String, minimum: Int) throws -> Int? {
        guard let text = call.query(name) else { return nil }
        guard let value = Int(text), value >= minimum else {
            throw PluginError(code: "INVALID_QUERY", message: "\(name) must be a whole number, at least \(minimum)")
        }
        guard value <= largestNumber else {
            throw PluginError(code: "INVALID_QUERY", message: "\(name) must be at most \(largestNumber)")
        }
        return value
    }
}
