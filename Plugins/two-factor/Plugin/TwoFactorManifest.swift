import GatehouseJSON

/// What the plugin adds to the server: routes, services, the sign-in hooks, the rate limit, the
/// schema and the error codes (docs/plugin-abi.md §8).
enum TwoFactorManifest {
    /// Endpoint indices, in manifest order.
    enum Endpoint: Int, CaseIterable {
        case enable, disable, getTOTPURI, generateBackupCodes, verifyTOTP, sendOTP, verifyOTP, verifyBackupCode
    }

    /// Routes whose new session a second factor must confirm: Better Auth's password sign-ins,
    /// plus every other route that signs a user in (social, magic link, email OTP, SIWE, …).
    /// Passkey sign-in is itself multi-factor and is not intercepted.
    static let signInRoutes = [
        "/sign-in/**", "/callback/*", "/oauth2/callback/*", "/magic-link/verify", "/email-otp/verify-email",
        "/verify-email", "/siwe/verify", "/one-tap/callback", "/phone-number/verify",
    ]

    static let json: JSONValue = [
        "endpoints": [
            endpoint("/two-factor/enable", auth: "session", summary: "Enable two-factor authentication (TOTP or email OTP)",
                     body: [property("password", "string"), property("method", "string"), property("issuer", "string")]),
            endpoint("/two-factor/disable", auth: "sensitiveSession", summary: "Disable two-factor authentication",
                     body: [property("password", "string")]),
            endpoint("/two-factor/get-totp-uri", auth: "session", summary: "The otpauth:// URI of the TOTP secret",
                     body: [property("password", "string")]),
            endpoint("/two-factor/generate-backup-codes", auth: "session", summary: "Replace the backup codes",
                     body: [property("password", "string")]),
            endpoint("/two-factor/verify-totp", summary: "Verify a TOTP code (sign-in challenge or enrolment)",
                     body: [property("code", "string", required: true), property("trustDevice", "boolean")]),
            endpoint("/two-factor/send-otp", summary: "Email a one-time code", body: [property("trustDevice", "boolean")]),
            endpoint("/two-factor/verify-otp", summary: "Verify an emailed one-time code",
                     body: [property("code", "string", required: true), property("trustDevice", "boolean")]),
            endpoint("/two-factor/verify-backup-code", summary: "Verify a backup code (each works once)",
                     body: [property("code", "string", required: true), property("trustDevice", "boolean"),
                            property("disableSession", "boolean")]),
        ],
        "services": .array(TwoFactorServices.names.map(JSONValue.string)),
        "hooks": ["after": .array(signInRoutes.map { route in
            ["matcher": .string(route), "whenNewSession": true, "envelope": ["headers", "newSession", "response"]]
        })],
        // Better Auth's rule: 3 requests per 10 seconds on every two-factor route.
        "rateLimit": [["path": "/two-factor/**", "window": 10, "max": 3]],
        "schema": [
            "fields": ["user": [
                ["name": "twoFactorEnabled", "type": "boolean", "required": false, "defaultValue": false, "input": false],
            ]],
            "tables": [[
                "name": "twoFactor",
                "fields": [
                    ["name": "secret", "type": "string", "returned": false],
                    ["name": "backupCodes", "type": "string", "returned": false],
                    ["name": "userId", "type": "string", "index": true, "references": ["model": "user", "field": "id", "onDelete": "cascade"]],
                    ["name": "verified", "type": "boolean", "required": false, "defaultValue": true],
                    ["name": "failedVerificationCount", "type": "number", "required": false, "defaultValue": 0],
                    ["name": "lockedUntil", "type": "date", "required": false],
                    // Gatehouse's addition: the last TOTP time step accepted, so a code works once.
                    ["name": "lastUsedStep", "type": "number", "required": false],
                ],
            ]],
        ],
        "errorCodes": TwoFactorError.manifestEntries,
        // An address proven by its owner (a magic link, an emailed code) ends the second factor an
        // unverified account set up before: the host delivers it awaited, before the sign-in.
        "events": [["name": "user.unprovenAccessRevoked"]],
    ]

    /// Every route may answer 401 besides 200: a wrong code, or no valid two-factor cookie.
    private static func endpoint(_ path: String, auth: String = "none", summary: String, body: [JSONValue]) -> JSONValue {
        ["method": "POST", "path": .string(path), "auth": .string(auth), "summary": .string(summary),
         "body": ["properties": .array(body)], "envelope": ["headers", "body", "session"], "statuses": [401]]
    }

    private static func property(_ name: String, _ type: String, required: Bool = false) -> JSONValue {
        ["name": .string(name), "type": .string(type), "required": .bool(required)]
    }
}
