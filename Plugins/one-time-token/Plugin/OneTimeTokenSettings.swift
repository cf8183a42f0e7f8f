import GatehouseJSON
import PluginKit

/// `plugins.one-time-token`, with Better Auth 1.7's option names and defaults.
struct OneTimeTokenSettings: Sendable {
    /// How a token is kept in the `verification` table; the client always gets the token itself.
    enum Storage: String, Sendable, CaseIterable {
        case plain
        /// base64url(SHA-256(token)) without padding, Better Auth's `defaultKeyHasher`.
        case hashed
    }

    /// Seconds a token lives. Better Auth counts `expiresIn` in minutes (3), fractions allowed.
    var lifetime = 180.0
    var storeToken = Storage.plain
    /// Verification answers the session without setting its cookies on the verifying client.
    var disableSetSessionCookie = false
    /// Every answer that creates a session also carries a token for it in `set-ott`.
    var setOttHeaderOnNewSession = false

    init(_ json: JSONValue) throws {
        let settings = try PluginSettings(json, pluginID: "one-time-token",
                                          keys: ["expiresIn", "storeToken", "disableSetSessionCookie", "setOttHeaderOnNewSession"],
                                          refusals: ["generateToken": "is a JavaScript callback; tokens are 32 random letters and digits",
                                                     "disableClientRequest": "would refuse every request: Gatehouse is only reached over HTTP"])
        lifetime = try settings.number("expiresIn", in: 0.01...10_080).map { $0 * 60 } ?? lifetime
        storeToken = try settings.oneOf("storeToken", Storage.self) ?? storeToken
        disableSetSessionCookie = try settings.bool("disableSetSessionCookie") ?? disableSetSessionCookie
        setOttHeaderOnNewSession = try settings.bool("setOttHeaderOnNewSession") ?? setOttHeaderOnNewSession
    }
}
