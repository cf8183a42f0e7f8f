import Foundation
import GatehouseJSON
import PluginKit

/// `GET /console/`: users, live sessions, and the last day's sign-ins and failed sign-ins (from
/// the audit log, when its plugin is loaded).
struct DashboardPage: Sendable {
    let context: ConsoleContext

    func show(_ visit: Visit) throws -> PluginAnswer {
        let now = Date()
        let users = try context.db.count("user", [])
        let sessions = try context.db.count("session", [("expiresAt", ">", .string(ISODate.format(now)))])
        let since = JSONValue.string(ISODate.format(now.addingTimeInterval(-86_400)))
        let succeeded = try context.optionalService("audit-log", "count", ["type": "signIn.succeeded", "since": since])?["count"]?.intValue
        let failed = try context.optionalService("audit-log", "count", ["type": "signIn.failed", "since": since])?["count"]?.intValue
        let figures: [[String: Any]] = [
            ["label": "Users", "value": String(users)],
            ["label": "Active sessions", "value": String(sessions)],
            ["label": "Sign-ins (24 h)", "value": succeeded.map(String.init) ?? "—"],
            ["label": "Failed sign-ins (24 h)", "value": failed.map(String.init) ?? "—"],
        ]
        let page = Page(template: "dashboard", title: "Dashboard", section: .dashboard,
                        values: ["figures": figures, "auditMissing": succeeded == nil])
        return context.show(page, to: try visit.actor)
    }
}
