import GatehouseJSON
import PluginKit

/// `plugins.magic-link` settings, with Better Auth 1.7.1's option names. An unknown key or a bad
/// value refuses the load with a message naming the key, never the value.
struct MagicLinkSettings: Sendable {
    /// How the token is kept in the `verification` table; the emailed token is always the raw one.
    enum TokenStorage: String, Sendable, CaseIterable {
        /// The token itself is the row's identifier (Better Auth's default).
        case plain
        /// base64url(SHA-256(token)) without padding, Better Auth's `defaultKeyHasher`.
        case hashed
    }

    /// Seconds a link stays valid.
    var expiresIn = 300
    /// Unknown addresses get no account: their link redirects with `error=new_user_signup_disabled`.
    var disableSignUp = false
    var storeToken = TokenStorage.plain
    /// Deprecated in Better Auth 1.7: a link works once whatever the value (any other value than 1
    /// is accepted, logged and ignored).
    var allowedAttempts = 1

    static let keys: Set<String> = ["expiresIn", "disableSignUp", "storeToken", "allowedAttempts"]

    /// Better Auth options that are JavaScript callbacks or would change the static manifest.
    static let refusals: [String: String] = [
        "sendMagicLink": "is a JavaScript callback; links go out through email.send (the magic-link email template)",
        "generateToken": "is a JavaScript callback; tokens are 32 random letters",
        "rateLimit": "cannot be set here; set rateLimit.customRules for /sign-in/magic-link and /magic-link/verify",
    ]

    init(_ json: JSONValue) throws {
        let reader = try PluginSettings(json, pluginID: "magic-link", keys: Self.keys, refusals: Self.refusals)
        expiresIn = try reader.int("expiresIn", in: 1...604_800) ?? expiresIn
        disableSignUp = try reader.bool("disableSignUp") ?? disableSignUp
        storeToken = try reader.oneOf("storeToken", TokenStorage.self) ?? storeToken
        allowedAttempts = try reader.int("allowedAttempts", in: 1...Int(Int32.max)) ?? allowedAttempts
    }
}
