import Foundation
import GatehouseJSON
import OrderedCollections
import PluginKit

/// OpenID Connect ID tokens, signed with the jwt plugin's current key through its `sign` service
/// (the `jwks` table is the jwt plugin's alone), so `{basePath}/jwks` verifies them.
struct IDTokens: Sendable {
    let host: PluginHost
    let issuer: String
    let lifetime: Int

    /// The algorithm the jwt plugin signs with, for discovery.
    func algorithm() throws -> String {
        try host.callService(plugin: "jwt", service: "algorithm")["alg"]?.stringValue ?? "EdDSA"
    }

    /// An ID token for `user` (Core §2, §3.1.3.6): `at_hash` binds it to the access token.
    /// The scopes' user claims are not in it: with an access token they come from UserInfo
    /// (Core §5.4), as Better Auth 1.7 delivers them.
    func token(userID: String, clientID: String, nonce: String?, authTime: Date?, sessionID: String?, accessToken: String) throws -> String {
        let now = Int(Date().timeIntervalSince1970)
        var claims: OrderedDictionary<String, JSONValue> = [
            "iss": .string(issuer), "sub": .string(userID), "aud": .string(clientID), "iat": .int(now), "exp": .int(now + lifetime),
        ]
        if let authTime { claims["auth_time"] = .int(Int(authTime.timeIntervalSince1970)) }
        if let nonce { claims["nonce"] = .string(nonce) }
        if let sessionID { claims["sid"] = .string(sessionID) }
        claims["at_hash"] = .string(try atHash(accessToken))
        guard let token = try host.callService(plugin: "jwt", service: "sign", request: ["payload": .object(claims)])["token"]?.stringValue,
              !token.isEmpty
        else { throw PluginError(status: 500, code: "INTERNAL_SERVER_ERROR", message: "the jwt plugin returned no token") }
        return token
    }

    /// The claims of an ID token this issuer signed; expiry is not checked (RP-initiated logout
    /// accepts expired hints, OpenID RP-Initiated Logout §2).
    func verify(_ token: String) throws -> JSONValue? {
        guard let payload = try? host.callService(plugin: "jwt", service: "verify", request: ["token": .string(token)])["payload"],
              payload["iss"]?.stringValue == issuer
        else { return nil }
        return payload
    }

    /// The left half of the access token's hash, base64url: SHA-256 for RS256 and ES256, SHA-512
    /// for EdDSA (Ed25519 hashes with SHA-512).
    private func atHash(_ accessToken: String) throws -> String {
        let algorithm: PluginHost.HashAlgorithm = try self.algorithm() == "EdDSA" ? .sha512 : .sha256
        guard let digest = host.hash(algorithm, Array(accessToken.utf8)) else {
            throw PluginError(status: 500, code: "INTERNAL_SERVER_ERROR", message: "could not hash the access token")
        }
        return Base64URL.encode(Array(digest.prefix(digest.count / 2)))
    }
}
