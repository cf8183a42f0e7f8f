import GatehouseJSON
import PluginKit

/// `plugins.audit-log` settings; an invalid one refuses the plugin with a message naming its key.
struct AuditLogSettings: Sendable {
    /// Entries older than this many days are purged; 0 keeps every entry.
    let retentionDays: Int
    /// Users who may read everyone's entries (`/audit-log/admin/list`).
    let adminUserIDs: Set<String>

    init(_ json: JSONValue) throws {
        if let value = json["retentionDays"]?.nonNull {
            guard let days = value.intValue, days >= 0 else { throw Self.invalid("retentionDays must be a whole number of days, 0 or more") }
            retentionDays = days
        } else {
            retentionDays = 90
        }
        if let value = json["adminUserIds"]?.nonNull {
            guard let items = value.arrayValue else { throw Self.invalid("adminUserIds must be a list of user ids") }
            adminUserIDs = Set(try items.enumerated().map { index, item in
                guard let id = item.stringValue else { throw Self.invalid("adminUserIds[\(index)] must be a user id (a string)") }
                return id
            })
        } else {
            adminUserIDs = []
        }
    }

    private static func invalid(_ message: String) -> PluginError {
        PluginError(code: "INVALID_SETTING", message: "plugins.audit-log.\(message)")
    }
}
