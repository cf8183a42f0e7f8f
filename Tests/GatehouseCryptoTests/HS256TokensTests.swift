import Foundation
import GatehouseCrypto
import Testing

@Suite struct HS256TokensTests {
    struct Claims: ExpiringClaims, Equatable {
        var email: String
        var exp: Int
    }

    @Test func signsAndVerifies() async throws {
        let tokens = await HS256Tokens(secret: "a-secret-long-enough-for-hs256-signing")
        let claims = Claims(email: "a@example.com", exp: Int(Date().timeIntervalSince1970) + 60)
        let token = try await tokens.sign(claims)
        #expect(token.split(separator: ".").count == 3)
        #expect(try await tokens.verify(token, as: Claims.self) == claims)
    }

    @Test func expiredAndForgedTokensFail() async throws {
        let tokens = await HS256Tokens(secret: "a-secret-long-enough-for-hs256-signing")
        let expired = try await tokens.sign(Claims(email: "a@example.com", exp: Int(Date().timeIntervalSince1970) - 10))
        await #expect(throws: TokenError.expired) { try await tokens.verify(expired, as: Claims.self) }
        let other = await HS256Tokens(secret: "another-secret-another-secret-another")
        let forged = try await other.sign(Claims(email: "a@example.com", exp: Int(Date().timeIntervalSince1970) + 60))
        await #expect(throws: TokenError.invalid) { try await tokens.verify(forged, as: Claims.self) }
        await #expect(throws: TokenError.invalid) { try await tokens.verify("not.a.jwt", as: Claims.self) }
    }
}
