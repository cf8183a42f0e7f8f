import GatehouseJSON

/// The organization plugin's routes, services, tables and session columns (docs/plugin-abi.md §8).
enum OrganizationManifest {
    static func json(routes: [OrganizationPlugin.Route], services: [String]) -> JSONValue {
        [
            "endpoints": .array(routes.map { route in
                ["method": .string(route.method), "path": .string(route.path), "auth": "session", "summary": .string(route.summary),
                 "envelope": ["session", "body", "query"], "statuses": .array(route.statuses.map(JSONValue.int))]
            }),
            "schema": [
                "fields": ["session": [
                    ["name": "activeOrganizationId", "type": "string", "required": false, "input": false],
                    ["name": "activeTeamId", "type": "string", "required": false, "input": false],
                ]],
                "tables": [
                    table("organization", [
                        field("name", "string"), ["name": "slug", "type": "string", "unique": true], field("logo", "string", required: false),
                        created, field("metadata", "string", required: false),
                    ]),
                    table("member", [reference("organizationId", "organization"), reference("userId", "user"), field("role", "string"), created]),
                    table("invitation", [
                        reference("organizationId", "organization"), ["name": "email", "type": "string", "index": true], field("role", "string", required: false),
                        field("teamId", "string", required: false), field("status", "string"), field("expiresAt", "date"), created,
                        reference("inviterId", "user"),
                    ]),
                    table("team", [field("name", "string"), reference("organizationId", "organization"), created,
                                   ["name": "updatedAt", "type": "date", "required": false, "onUpdate": "now"]]),
                    table("teamMember", [reference("teamId", "team"), reference("userId", "user"), created], unique: [["teamId", "userId"]]),
                    table("organizationRole", [reference("organizationId", "organization"), field("role", "string"), field("permission", "string"), created,
                                               ["name": "updatedAt", "type": "date", "required": false, "onUpdate": "now"]],
                          unique: [["organizationId", "role"]]),
                ],
            ],
            "errorCodes": OrganizationError.manifestEntries,
            "services": .array(services.map(JSONValue.string)),
        ]
    }

    private static let created: JSONValue = ["name": "createdAt", "type": "date", "defaultValue": "now"]

    private static func table(_ name: String, _ fields: [JSONValue], unique: [[String]] = []) -> JSONValue {
        ["name": .string(name), "fields": .array(fields), "uniqueTogether": .array(unique.map { .array($0.map(JSONValue.string)) })]
    }

    private static func field(_ name: String, _ type: String, required: Bool = true) -> JSONValue {
        ["name": .string(name), "type": .string(type), "required": .bool(required)]
    }

    private static func reference(_ name: String, _ model: String) -> JSONValue {
        ["name": .string(name), "type": "string", "index": true, "references": ["model": .string(model), "field": "id", "onDelete": "cascade"]]
    }
}
