import GatehouseJSON

/// Routes, schema and error codes of the passkey plugin (docs/plugin-abi.md §8).
enum PasskeyManifest {
    /// Endpoint indices, in manifest order.
    enum Endpoint: Int {
        case registerOptions, verifyRegistration, authenticateOptionsGET, authenticateOptionsPOST, verifyAuthentication, list, delete, update
    }

    static let json: JSONValue = [
        "endpoints": [
            ["method": "GET", "path": "/passkey/generate-register-options", "auth": "freshSession", "summary": "WebAuthn registration options",
             "query": ["properties": [string("authenticatorAttachment"), string("name")]], "envelope": ["headers", "query", "session"]],
            ["method": "POST", "path": "/passkey/verify-registration", "auth": "session", "summary": "Register a passkey",
             "body": ["properties": [property("response", "object", required: true), string("name")]], "envelope": ["headers", "body", "session"]],
            ["method": "GET", "path": "/passkey/generate-authenticate-options", "summary": "WebAuthn sign-in options", "envelope": ["headers", "session"]],
            ["method": "POST", "path": "/passkey/generate-authenticate-options", "summary": "WebAuthn sign-in options", "envelope": ["headers", "session"]],
            ["method": "POST", "path": "/passkey/verify-authentication", "summary": "Sign in with a passkey",
             "body": ["properties": [property("response", "object", required: true)]], "envelope": ["headers", "body"], "statuses": [401]],
            ["method": "GET", "path": "/passkey/list-user-passkeys", "auth": "session", "summary": "The signed-in user's passkeys", "envelope": ["session"]],
            ["method": "POST", "path": "/passkey/delete-passkey", "auth": "session", "summary": "Delete one of your passkeys",
             "body": ["properties": [property("id", "string", required: true)]], "envelope": ["body", "session"], "statuses": [404]],
            ["method": "POST", "path": "/passkey/update-passkey", "auth": "session", "summary": "Rename one of your passkeys",
             "body": ["properties": [property("id", "string", required: true), property("name", "string", required: true)]], "envelope": ["body", "session"], "statuses": [404]],
        ],
        "schema": ["tables": [[
            "name": "passkey",
            "fields": [
                ["name": "name", "type": "string", "required": false],
                ["name": "publicKey", "type": "string"],
                ["name": "userId", "type": "string", "index": true, "references": ["model": "user", "field": "id", "onDelete": "cascade"]],
                ["name": "credentialID", "type": "string", "index": true],
                ["name": "counter", "type": "number"],
                ["name": "deviceType", "type": "string"],
                ["name": "backedUp", "type": "boolean"],
                ["name": "transports", "type": "string", "required": false],
                ["name": "createdAt", "type": "date", "required": false, "defaultValue": "now"],
                ["name": "aaguid", "type": "string", "required": false],
                // Gatehouse's addition: none, self, unverified (a chain to no configured root) or verified.
                ["name": "attestationTrust", "type": "string", "required": false],
            ],
        ]]],
        "errorCodes": PasskeyError.manifestEntries,
        // An address proven by its owner (a magic link, an emailed code) ends the passkeys an
        // unverified account gathered before: the host delivers it awaited, before the sign-in.
        "events": [["name": "user.unprovenAccessRevoked"]],
    ]

    private static func property(_ name: String, _ type: String, required: Bool = false) -> JSONValue {
        ["name": .string(name), "type": .string(type), "required": .bool(required)]
    }

    private static func string(_ name: String) -> JSONValue { property(name, "string") }
}
