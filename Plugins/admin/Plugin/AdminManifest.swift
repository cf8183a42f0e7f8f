import GatehouseJSON

/// What the plugin adds to the server (docs/plugin-abi.md §8): the `/admin/*` routes with their
/// bodies and queries, the services, the hooks, the ban sync job, Better Auth's admin fields and the `banHold` table.
enum AdminManifest {
    /// One route: its declaration and what it reads of the request.
    struct Route: Sendable {
        let method: String
        let path: String
        let summary: String
        var auth = "sensitiveSession"
        var envelope: [String] = ["session", "body"]
        var body: [JSONValue] = []
        var query: [JSONValue] = []
        /// Besides 200, for the OpenAPI document: a user looked up by id (404), and a unique
        /// value taken between the check and the write (409, AdminPlugin.handle).
        var statuses = [404, 409]

        var json: JSONValue {
            var entry: [(String, JSONValue)] = [("method", .string(method)), ("path", .string(path)), ("auth", .string(auth)),
                                                ("summary", .string(summary)), ("envelope", .array(envelope.map(JSONValue.string))),
                                                ("statuses", .array(statuses.map(JSONValue.int)))]
            if !body.isEmpty { entry.append(("body", ["properties": .array(body)])) }
            if !query.isEmpty { entry.append(("query", ["properties": .array(query)])) }
            return .object(.init(uniqueKeysWithValues: entry))
        }
    }

    /// After-hook indices, in manifest order.
    enum AfterHook: Int {
        case listSessions, newSession
    }

    static let syncJob = "sync-bans"

    static func json(routes: [Route], services: [String]) -> JSONValue {
        [
            "endpoints": .array(routes.map(\.json)),
            "services": .array(services.map(JSONValue.string)),
            "hooks": ["after": [
                ["matcher": "/list-sessions", "envelope": ["response"]],
                // A ban that ran out is lifted at the user's next sign-in, whatever signed them in.
                ["matcher": "/**", "whenNewSession": true, "envelope": ["newSession"]],
            ]],
            // Also at start: bans written to the database directly get their hold within a minute.
            "jobs": [["name": .string(syncJob), "everySeconds": 60]],
            "schema": [
                "fields": [
                    "user": [
                        ["name": "role", "type": "string", "required": false, "input": false, "defaultValue": "user", "defaultSetting": "defaultRole"],
                        ["name": "banned", "type": "boolean", "required": false, "input": false, "defaultValue": false],
                        ["name": "banReason", "type": "string", "required": false, "input": false],
                        ["name": "banExpires", "type": "date", "required": false, "input": false],
                    ],
                    "session": [["name": "impersonatedBy", "type": "string", "required": false, "input": false]],
                ],
                "tables": [[
                    "name": "banHold",
                    "fields": [
                        ["name": "userId", "type": "string", "unique": true, "references": ["model": "user", "field": "id", "onDelete": "cascade"]],
                        ["name": "expiresAt", "type": "date", "required": false],
                    ],
                ]],
            ],
            "errorCodes": AdminError.declared,
        ]
    }

    static func property(_ name: String, _ type: String, _ required: Bool, _ description: String) -> JSONValue {
        ["name": .string(name), "type": .string(type), "required": .bool(required), "description": .string(description)]
    }
}
