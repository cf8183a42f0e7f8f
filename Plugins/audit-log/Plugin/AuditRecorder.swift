import Foundation
import GatehouseJSON
import PluginKit

/// Writes one `auditLog` row per event and purges rows past retention.
struct AuditRecorder: Sendable {
    let db: PluginDatabase
    let retentionDays: Int

    /// Records the event envelope `{name, payload, source}`. The host stamps `ipAddress` and
    /// `userAgent` on every payload; they get columns of their own, the rest is `data`.
    func record(_ envelope: JSONValue) throws {
        guard let type = envelope["name"]?.stringValue else { return }
        var data = envelope["payload"]?.objectValue ?? [:]
        let ipAddress = data.removeValue(forKey: "ipAddress") ?? .null
        let userAgent = data.removeValue(forKey: "userAgent") ?? .null
        try db.create("auditLog", [
            "type": .string(type), "userId": Self.userID(in: .object(data)).map(JSONValue.string) ?? .null,
            "ipAddress": ipAddress, "userAgent": userAgent, "data": .object(data),
        ])
    }

    /// The user an event is about: `userId` (sign-ins, two-factor), the member of a membership
    /// event, a session's or an account's owner, else the user itself (`user.*`, `password.*`).
    /// A failed sign-in with an unknown e-mail has none.
    static func userID(in payload: JSONValue) -> String? {
        payload["userId"]?.stringValue ?? payload["member"]?["userId"]?.stringValue ?? payload["session"]?["userId"]?.stringValue
            ?? payload["account"]?["userId"]?.stringValue ?? payload["user"]?["id"]?.stringValue
    }

    /// Deletes the rows older than `retentionDays`; answers how many went.
    func purge(now: Date = Date()) throws -> Int {
        guard retentionDays > 0 else { return 0 }
        let cutoff = now.addingTimeInterval(-Double(retentionDays) * 86_400)
        return try db.delete("auditLog", [("createdAt", "<", .string(ISODate.format(cutoff)))])
    }
}
