import Foundation
import JWTKit

/// Sign in with Apple's client secret: an ES256 JWT `{iss: team id, iat, exp, aud:
/// https://appleid.apple.com, sub: client id}` with header `kid`, signed (by jwt-kit) with
/// the `.p8` key Apple issued (PKCS#8 PEM). A fresh one is made for each token request.
public struct AppleClientSecret: Sendable {
    public let teamID: String
    public let keyID: String
    let key: ES256PrivateKey

    public init(teamID: String, keyID: String, privateKeyPEM: String) throws {
        self.teamID = teamID
        self.keyID = keyID
        do { key = try ES256PrivateKey(pem: privateKeyPEM) } catch {
            throw ProviderFailure("the Apple private key is not a P-256 PEM key")
        }
    }

    func make(clientID: String, now: Date = Date()) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key, kid: JWKIdentifier(string: keyID))
        let claims = Claims(iss: IssuerClaim(value: teamID), iat: IssuedAtClaim(value: now),
                            exp: ExpirationClaim(value: now.addingTimeInterval(300)),
                            aud: AudienceClaim(value: "https://appleid.apple.com"), sub: SubjectClaim(value: clientID))
        return try await keys.sign(claims, kid: JWKIdentifier(string: keyID))
    }

    private struct Claims: JWTPayload {
        let iss: IssuerClaim
        let iat: IssuedAtClaim
        let exp: ExpirationClaim
        let aud: AudienceClaim
        let sub: SubjectClaim

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }
}
