import GatehouseJSON

/// What the plugin adds to the server (docs/plugin-abi.md §8): the two user fields, Better Auth
/// 1.7's two routes, the hooks that check and normalize usernames wherever users are written
/// (sign-up, update-user, the admin plugin's create-user and update-user), and the error codes.
/// The core's rate limit for `/sign-in/*` covers the sign-in route.
enum UsernameManifest {
    enum Endpoint: Int {
        case signIn, isUsernameAvailable
    }

    enum BeforeHook: Int {
        case signUp, updateUser, adminCreateUser, adminUpdateUser
    }

    static let json: JSONValue = [
        "endpoints": [
            // A cross-site form must not sign anyone in, as with the core's /sign-in/email.
            ["method": "POST", "path": "/sign-in/username", "auth": "none", "acceptsForm": true, "formCSRF": true,
             "summary": "Sign in with username", "envelope": ["body"], "statuses": [401, 422],
             "body": ["properties": [
                 property("username", "string", required: true, "The username of the user"),
                 property("password", "string", required: true, "The password of the user"),
                 property("rememberMe", "boolean", "Remember the user session"),
                 property("callbackURL", "string", "URL to redirect to after sign in"),
             ]]],
            ["method": "POST", "path": "/is-username-available", "auth": "none", "summary": "Check whether a username is available",
             "envelope": ["body"], "statuses": [422],
             "body": ["properties": [property("username", "string", required: true, "The username to check")]]],
        ],
        "hooks": ["before": [
            ["matcher": "/sign-up/email", "envelope": ["body"]],
            ["matcher": "/update-user", "envelope": ["headers", "body", "session"]],
            // The admin plugin's user writes, when it is loaded: Better Auth checks usernames there too
            // (for a signed-in caller; the admin route refuses the others with 401).
            ["matcher": "/admin/create-user", "envelope": ["headers", "body", "session"]],
            ["matcher": "/admin/update-user", "envelope": ["headers", "body", "session"]],
        ]],
        "schema": ["fields": ["user": [
            ["name": "username", "type": "string", "required": false, "unique": true],
            ["name": "displayUsername", "type": "string", "required": false],
        ]]],
        "errorCodes": UsernameError.manifestEntries,
    ]

    private static func property(_ name: String, _ type: String, required: Bool = false, _ description: String) -> JSONValue {
        ["name": .string(name), "type": .string(type), "required": .bool(required), "description": .string(description)]
    }
}
