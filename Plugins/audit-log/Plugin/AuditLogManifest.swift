import GatehouseJSON

/// The audit-log plugin's routes, services, table, events and purge job (docs/plugin-abi.md §8).
enum AuditLogManifest {
    /// Everything recorded: the host events of ABI 1.2 but `user.updated` (profile edits are not
    /// security events), the two-factor plugin's and the organization plugin's membership events.
    static let recordedEvents = [
        "user.created", "user.deleted", "session.created", "session.revoked", "signIn.succeeded", "signIn.failed",
        "password.changed", "password.reset", "email.verified", "account.linked", "account.unlinked", "account.locked",
        "twoFactor.enabled", "twoFactor.disabled",
        "organization.member.added", "organization.member.removed", "organization.member.updated",
    ]
    static let purgeJob = "purge"
    static let ownListRoute = 0
    static let adminListRoute = 1

    static let json: JSONValue = [
        "endpoints": [
            route("/audit-log/list", "The caller's audit entries, newest first", filters: ["type", "limit", "offset"]),
            route("/audit-log/admin/list", "Everyone's audit entries, newest first (adminUserIds)", filters: ["userId", "type", "limit", "offset"]),
        ],
        "services": .array(AuditServices.names.map(JSONValue.string)),
        "schema": ["tables": [[
            "name": "auditLog",
            "fields": [
                ["name": "type", "type": "string", "index": true],
                // No reference to `user`: entries outlive the user they are about.
                ["name": "userId", "type": "string", "required": false, "index": true],
                ["name": "ipAddress", "type": "string", "required": false],
                ["name": "userAgent", "type": "string", "required": false],
                ["name": "data", "type": "json", "required": false],
                ["name": "createdAt", "type": "date", "defaultValue": "now", "index": true],
            ],
        ]]],
        "events": .array(recordedEvents.map { ["name": .string($0), "sync": true] }),
        "jobs": [["name": .string(purgeJob), "everySeconds": 3600]],
        "errorCodes": [
            "INVALID_QUERY": "Invalid query parameter",
            "FORBIDDEN": "Only audit-log administrators may read other users' entries",
        ],
    ]

    private static func route(_ path: String, _ summary: String, filters: [String]) -> JSONValue {
        ["method": "GET", "path": .string(path), "auth": "session", "summary": .string(summary), "envelope": ["session", "query"],
         "query": ["properties": .array(filters.map { ["name": .string($0), "type": "string"] })]]
    }
}
