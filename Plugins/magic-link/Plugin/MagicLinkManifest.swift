import GatehouseJSON

/// What the plugin adds to the server: two routes, Better Auth's rate limit for them and the
/// codes it answers (docs/plugin-abi.md §8). No schema: tokens live in the core `verification` table.
enum MagicLinkManifest {
    /// Endpoint indices, in manifest order.
    enum Endpoint: Int, CaseIterable {
        case signIn, verify
    }

    static let json: JSONValue = [
        "endpoints": [
            [
                "method": "POST", "path": "/sign-in/magic-link", "auth": "none",
                "summary": "Sign in with magic link: email a one-time sign-in link",
                "body": ["properties": [
                    property("email", "string", required: true, "Email address to send the magic link"),
                    property("name", "string", "User display name. Only used if the user is registering for the first time."),
                    property("callbackURL", "string", "URL to redirect after magic link verification (default /)"),
                    property("newUserCallbackURL", "string", "URL to redirect after new user signup. Only used if the user is registering for the first time."),
                    property("errorCallbackURL", "string", "URL to redirect after error"),
                    property("metadata", "object", "Additional data for the email template (its context's metadata)"),
                ]],
                // Better Auth's formCsrfMiddleware: a cross-site form must not mail a sign-in link.
                "formCSRF": true,
                "envelope": ["body"],
            ],
            [
                "method": "GET", "path": "/magic-link/verify", "auth": "none",
                "summary": "Verify magic link: sign in, then redirect (or answer {token, user, session} without callbackURL)",
                "query": ["properties": [
                    property("token", "string", required: true, "Verification token"),
                    property("callbackURL", "string", "URL to redirect after magic link verification; without it the answer is JSON"),
                    property("errorCallbackURL", "string", "URL to redirect after error (default callbackURL)"),
                    property("newUserCallbackURL", "string", "URL to redirect after new user signup (default callbackURL)"),
                ]],
                "envelope": ["query"],
                "statuses": [302],
            ],
        ],
        // Better Auth's rule for both routes: 5 requests per 60 seconds.
        "rateLimit": [
            ["path": "/sign-in/magic-link", "window": 60, "max": 5],
            ["path": "/magic-link/verify", "window": 60, "max": 5],
        ],
        "errorCodes": MagicLinkError.allEntries,
    ]

    private static func property(_ name: String, _ type: String, required: Bool = false, _ description: String) -> JSONValue {
        ["name": .string(name), "type": .string(type), "required": .bool(required), "description": .string(description)]
    }
}
