import Foundation
import JWTKit

/// Claims that carry their own expiry (`exp`, seconds since 1970).
public protocol ExpiringClaims: Codable, Sendable {
    var exp: Int { get }
}

/// HS256 JSON Web Tokens signed with the server secret (email-verification tokens).
public struct HS256Tokens: Sendable {
    private let keys: JWTKeyCollection

    public init(secret: String) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
    }

    public func sign<Claims: ExpiringClaims>(_ claims: Claims) async throws -> String {
        try await keys.sign(Envelope(claims: claims))
    }

    /// Verifies the signature and expiry; an expired token throws `TokenError.expired`.
    public func verify<Claims: ExpiringClaims>(_ token: String, as type: Claims.Type) async throws(TokenError) -> Claims {
        do {
            return try await keys.verify(token, as: Envelope<Claims>.self).claims
        } catch let error as JWTError where error.errorType == .claimVerificationFailure && error.failedClaim is ExpirationClaim {
            throw .expired
        } catch {
            throw .invalid
        }
    }
}

public enum TokenError: Error, Sendable {
    case invalid
    case expired
}

/// Adapts caller claims to jwt-kit's payload protocol without adding fields.
private struct Envelope<Claims: ExpiringClaims>: JWTPayload {
    let claims: Claims

    init(claims: Claims) { self.claims = claims }
    init(from decoder: any Decoder) throws { claims = try Claims(from: decoder) }
    func encode(to encoder: any Encoder) throws { try claims.encode(to: encoder) }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try ExpirationClaim(value: Date(timeIntervalSince1970: TimeInterval(claims.exp))).verifyNotExpired()
    }
}
