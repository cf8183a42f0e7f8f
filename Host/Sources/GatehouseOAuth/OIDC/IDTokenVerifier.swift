import Crypto
import Foundation
import GatehouseCrypto
import GatehouseJSON
import JWTKit

/// What an ID token must satisfy (OpenID Connect Core §3.1.3.7).
public struct IDTokenExpectations: Sendable {
    public var jwksURI: String
    /// Accepted `iss` values; empty accepts any (only for providers with per-tenant issuers
    /// that are checked by the caller).
    public var issuers: [String]
    /// `aud` must contain one of these (the client id, plus e.g. Apple's bundle id).
    public var audiences: [String]
    /// The nonce the token must carry; nil when the flow sent none.
    public var nonce: String?
    public var clockSkew: TimeInterval = 60
    /// Apple's native SDKs put SHA-256(nonce) in hex into the token instead of the nonce.
    public var acceptsHashedNonce = false

    public init(jwksURI: String, issuers: [String], audiences: [String], nonce: String?) {
        self.jwksURI = jwksURI
        self.issuers = issuers
        self.audiences = audiences
        self.nonce = nonce
    }
}

/// Why an ID token was refused; `description` is for logs, never for clients.
public struct IDTokenRejection: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Verifies an ID token's signature against the provider's JWKS (via jwt-kit) and its
/// claims, and returns the claims.
public enum IDTokenVerifier {
    static let algorithms: Set<String> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]

    public static func verify(_ token: String, _ expected: IDTokenExpectations, now: Date = Date()) async throws -> JSONValue {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = decodeSegment(parts[0]), let claims = decodeSegment(parts[1]), claims.objectValue != nil else {
            throw IDTokenRejection(description: "not a compact JWS")
        }
        guard let alg = header["alg"]?.stringValue, algorithms.contains(alg) else {
            throw IDTokenRejection(description: "algorithm \(header["alg"]?.serialized() ?? "none") is not accepted")
        }
        let kid = header["kid"]?.stringValue
        let set: JWKSCache.KeySet
        do { set = try await JWKSCache.shared.keys(at: expected.jwksURI, for: kid) } catch {
            throw IDTokenRejection(description: "cannot load signing keys: \(error)")
        }
        if let kid, !set.keyIDs.contains(kid) { throw IDTokenRejection(description: "unknown key id \(kid)") }
        do {
            _ = try await set.keys.verify(token, as: SignatureOnly.self, iteratingKeys: kid == nil)
        } catch {
            throw IDTokenRejection(description: "signature does not verify")
        }
        try checkClaims(claims, expected, now: now)
        return claims
    }

    static func checkClaims(_ claims: JSONValue, _ expected: IDTokenExpectations, now: Date) throws {
        guard let sub = claims["sub"]?.stringValue, !sub.isEmpty else { throw IDTokenRejection(description: "no sub") }
        if !expected.issuers.isEmpty {
            guard let iss = claims["iss"]?.stringValue, expected.issuers.contains(iss) else {
                throw IDTokenRejection(description: "issuer \(claims["iss"]?.serialized() ?? "missing") is not expected")
            }
        }
        let audiences = claims["aud"]?.stringValue.map { [$0] } ?? claims["aud"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard audiences.contains(where: expected.audiences.contains) else { throw IDTokenRejection(description: "audience does not match") }
        guard let exp = claims["exp"]?.doubleValue, Date(timeIntervalSince1970: exp + expected.clockSkew) > now else {
            throw IDTokenRejection(description: "expired")
        }
        if let iat = claims["iat"]?.doubleValue, Date(timeIntervalSince1970: iat - expected.clockSkew) > now {
            throw IDTokenRejection(description: "issued in the future")
        }
        if let nonce = expected.nonce {
            let hashed = Hex.encode(SHA256.hash(data: Array(nonce.utf8)))
            guard let claimed = claims["nonce"]?.stringValue,
                ConstantTime.equals(claimed, nonce) || (expected.acceptsHashedNonce && ConstantTime.equals(claimed, hashed))
            else {
                throw IDTokenRejection(description: "nonce does not match")
            }
        }
    }

    static func decodeSegment(_ segment: Substring) -> JSONValue? {
        guard let bytes = Base64.decode(String(segment)) else { return nil }
        return try? JSONValue.parse(bytes)
    }
}

/// jwt-kit checks the signature; the claims are checked above from the raw JSON.
private struct SignatureOnly: JWTPayload {
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws {}
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

extension IDTokenVerifier {
    /// The claims of a token verified earlier (e.g. one stored on an account), unchecked.
    public static func claims(of token: String) -> JSONValue? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let claims = decodeSegment(parts[1]), claims.objectValue != nil else { return nil }
        return claims
    }
}
