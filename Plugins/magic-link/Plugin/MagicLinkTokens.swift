import GatehouseJSON
import PluginKit

/// Magic-link tokens and their `verification` rows, as Better Auth 1.7.1 keeps them: the token is
/// 32 random letters (`generateRandomString(32, "a-z", "A-Z")`), the row's identifier is the token
/// itself (or base64url(SHA-256(token)) with `storeToken: "hashed"`), and its value is the JSON
/// text `{"email", "name"?}`. There is no prefix: a row is found by the secret alone.
struct MagicLinkTokens: Sendable {
    static let length = 32
    static let alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    /// What a link's row says: the address the link was sent to and the name given for a new user.
    struct Claim: Sendable {
        let email: String
        let name: String?
    }

    let host: PluginHost
    let storage: MagicLinkSettings.TokenStorage
    let expiresIn: Int

    /// Stores a new token for `claim` and returns it (the raw token, for the link).
    func issue(_ claim: Claim) throws -> String {
        let token = host.randomText(Self.length, alphabet: Self.alphabet)
        let value: JSONValue = claim.name.map { ["email": .string(claim.email), "name": .string($0)] } ?? ["email": .string(claim.email)]
        _ = try host.call("verifications.create", ["identifier": .string(try identifier(for: token)), "value": .string(value.serialized()),
                                                   "expiresIn": .int(expiresIn)])
        return token
    }

    /// Uses `token` up: its row is deleted whatever happens next, so a link signs in at most once,
    /// even when two requests race (`verifications.consume` is one atomic read and delete). Nil for
    /// a token that is unknown, used, expired, or not one this plugin issues.
    func redeem(_ token: String) throws -> Claim? {
        // Only the shape issued here reaches the database: the identifier is the token itself, so
        // anything else could name (and use up) another flow's verification row.
        guard token.utf8.count == Self.length, token.utf8.allSatisfy(Self.isLetter) else { return nil }
        guard let text = try host.call("verifications.consume", ["identifier": .string(try identifier(for: token))])["value"]?.stringValue,
              let value = try? JSONValue.parse(text), let email = value["email"]?.stringValue, !email.isEmpty
        else { return nil }
        return Claim(email: email, name: value["name"]?.stringValue)
    }

    private func identifier(for token: String) throws -> String {
        switch storage {
        case .plain:
            return token
        case .hashed:
            return try host.hashedKey(token)
        }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
