import GatehouseJSON

/// What the plugin adds to the server (docs/plugin-abi.md §8): Better Auth 1.7's three
/// multi-session routes, the after-hook that gives each new session its device cookie, the one
/// that signs every account out on `/sign-out`, and the error code.
enum MultiSessionManifest {
    enum Endpoint: Int {
        case listDeviceSessions, setActive, revoke
    }

    enum AfterHook: Int {
        case sessionStarted, signedOut
    }

    static let json: JSONValue = [
        "endpoints": [
            ["method": "GET", "path": "/multi-session/list-device-sessions", "auth": "none", "envelope": ["headers"],
             "summary": "List the browser's device sessions, one per user"],
            ["method": "POST", "path": "/multi-session/set-active", "auth": "none", "envelope": ["headers", "body"],
             "summary": "Set the active session", "body": sessionTokenBody("The session token to set as active"), "statuses": [401]],
            ["method": "POST", "path": "/multi-session/revoke", "auth": "session", "envelope": ["headers", "body", "session"],
             "summary": "Revoke a device session", "body": sessionTokenBody("The session token to revoke")],
        ],
        "hooks": ["after": [
            // Last, so that a sign-in a second factor turned into a challenge leaves no cookie.
            ["matcher": "/**", "whenNewSession": true, "responseSetsCookie": "session_token", "runsLast": true,
             "envelope": ["headers", "newSession", "response"]],
            ["matcher": "/sign-out", "envelope": ["headers"]],
        ]],
        "errorCodes": MultiSessionError.manifestEntries,
    ]

    private static func sessionTokenBody(_ description: String) -> JSONValue {
        ["properties": [["name": "sessionToken", "type": "string", "required": true, "description": .string(description)]]]
    }
}
