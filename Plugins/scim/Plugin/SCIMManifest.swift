import GatehouseJSON

/// The scim plugin's routes and tables (docs/plugin-abi.md §8): Better Auth 1.6's token routes,
/// and the SCIM 2.0 API below `/scim/v2/`, served by one endpoint per method that reads the raw
/// body (ABI 1.4), so SCIM media types and SCIM errors for malformed JSON are its own.
enum SCIMManifest {
    enum Route: Int, CaseIterable {
        case generateToken, listConnections, getConnection, deleteConnection
        case scimGet, scimPost, scimPut, scimPatch, scimDelete
    }

    static let providerID: JSONValue = ["properties": [["name": "providerId", "type": "string", "required": true]]]

    static let json: JSONValue = [
        "endpoints": .array([
            ["method": "POST", "path": "/scim/generate-token", "auth": "session", "envelope": ["session", "body"],
             "body": ["properties": [["name": "providerId", "type": "string", "required": true],
                                     ["name": "organizationId", "type": "string"]]],
             "summary": "Generate a SCIM bearer token for a provider connection", "statuses": [201, 404]],
            ["method": "GET", "path": "/scim/list-provider-connections", "auth": "session", "envelope": ["session"],
             "summary": "The SCIM connections the caller owns or administers"],
            ["method": "GET", "path": "/scim/get-provider-connection", "auth": "session", "envelope": ["session", "query"],
             "query": providerID, "summary": "One SCIM connection", "statuses": [404]],
            ["method": "POST", "path": "/scim/delete-provider-connection", "auth": "session", "envelope": ["session", "body"],
             "body": providerID, "summary": "Delete a SCIM connection; its token stops working", "statuses": [404]],
        ] + ["GET", "POST", "PUT", "PATCH", "DELETE"].map { method -> JSONValue in
            // Bearer-token API for identity providers, never called with the user's cookies by a
            // browser: no origin check.
            ["method": .string(method), "path": "/scim/v2/**", "rawBody": true, "originCheck": false,
             "envelope": ["method", "params", "query", "headers", "rawBody"], "summary": .string("SCIM 2.0 (\(method))"),
             // SCIM answers: created, deleted, no bearer token, unknown resource or method, uniqueness, media type, unsupported feature.
             "statuses": [201, 204, 401, 404, 405, 409, 415, 501]]
        }),
        "uses": [["plugin": "organization", "optional": true]],
        "schema": ["tables": [
            ["name": "scimProvider", "fields": [
                ["name": "providerId", "type": "string", "unique": true],
                // Unpadded base64url SHA-256 of the token's secret, never the secret.
                ["name": "scimToken", "type": "string", "returned": false],
                ["name": "organizationId", "type": "string", "required": false],
                // The creator of a connection without organization: it goes with them.
                ["name": "userId", "type": "string", "required": false, "references": ["model": "user", "field": "id", "onDelete": "cascade"]],
            ]],
            // A provisioned user: the SCIM document as sent, and what must be unique or found fast.
            ["name": "scimUser", "fields": [
                // The connection's row, not its providerId: deleting a connection takes its records with
                // it, so whoever creates a connection under that providerId later starts afresh.
                ["name": "connectionId", "type": "string", "index": true, "references": ["model": "scimProvider", "field": "id", "onDelete": "cascade"]],
                ["name": "userId", "type": "string", "unique": true, "references": ["model": "user", "field": "id", "onDelete": "cascade"]],
                ["name": "userNameKey", "type": "string"],
                ["name": "active", "type": "boolean", "defaultValue": true],
                ["name": "document", "type": "string"],
                ["name": "createdAt", "type": "date", "defaultValue": "now"],
                ["name": "updatedAt", "type": "date", "defaultValue": "now", "onUpdate": "now"],
            ], "uniqueTogether": [["connectionId", "userNameKey"]]],
            // A provisioned group: a team of the connection's organization (teamId), or the
            // plugin's own group for a connection without organization.
            ["name": "scimGroup", "fields": [
                // The connection's row, not its providerId: deleting a connection takes its records with
                // it, so whoever creates a connection under that providerId later starts afresh.
                ["name": "connectionId", "type": "string", "index": true, "references": ["model": "scimProvider", "field": "id", "onDelete": "cascade"]],
                ["name": "teamId", "type": "string", "required": false, "index": true],
                ["name": "displayNameKey", "type": "string"],
                ["name": "document", "type": "string"],
                ["name": "createdAt", "type": "date", "defaultValue": "now"],
                ["name": "updatedAt", "type": "date", "defaultValue": "now", "onUpdate": "now"],
            ], "uniqueTogether": [["connectionId", "displayNameKey"]]],
            ["name": "scimGroupMember", "fields": [
                ["name": "groupId", "type": "string", "index": true, "references": ["model": "scimGroup", "field": "id", "onDelete": "cascade"]],
                ["name": "userId", "type": "string", "references": ["model": "user", "field": "id", "onDelete": "cascade"]],
            ], "uniqueTogether": [["groupId", "userId"]]],
        ]],
        "errorCodes": [
            "SCIM_PROVIDER_NOT_FOUND": "SCIM provider not found",
            "PROVIDER_ID_CONTAINS_FORBIDDEN_CHARACTERS": "Provider id contains forbidden characters",
            "USER_DEACTIVATED": "This account has been deactivated",
        ],
    ]
}
