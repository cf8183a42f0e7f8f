import Foundation
import GatehouseJSON
import Crypto
import GatehouseCrypto
@testable import GatehouseOAuth
import Testing

@Suite struct IDTokenClaimsTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    var expected: IDTokenExpectations {
        IDTokenExpectations(jwksURI: "https://idp.example/jwks", issuers: ["https://idp.example"], audiences: ["client-1"], nonce: "n-1")
    }

    func claims(_ changes: [String: JSONValue?] = [:]) -> JSONValue {
        var members: [String: JSONValue] = [
            "iss": "https://idp.example", "sub": "user-1", "aud": "client-1", "nonce": "n-1",
            "exp": .int(1_800_000_600), "iat": .int(1_800_000_000),
        ]
        for (key, value) in changes { members[key] = value }
        return .object(.init(uniqueKeysWithValues: members.sorted { $0.key < $1.key }))
    }

    func accepts(_ claims: JSONValue, _ expected: IDTokenExpectations? = nil) -> Bool {
        (try? IDTokenVerifier.checkClaims(claims, expected ?? self.expected, now: now)) != nil
    }

    @Test func validClaimsPass() {
        #expect(accepts(claims()))
        #expect(accepts(claims(["aud": ["other", "client-1"]])))
    }

    @Test func eachBadClaimFails() {
        #expect(!accepts(claims(["iss": "https://evil.example"])))
        #expect(!accepts(claims(["aud": "other"])))
        #expect(!accepts(claims(["aud": ["other"]])))
        #expect(!accepts(claims(["exp": .int(1_800_000_000 - 61)])))  // beyond the 60 s skew
        #expect(!accepts(claims(["exp": nil])))
        #expect(!accepts(claims(["iat": .int(1_800_000_000 + 120)])))
        #expect(!accepts(claims(["nonce": "other"])))
        #expect(!accepts(claims(["nonce": nil])))
        #expect(!accepts(claims(["sub": ""])))
    }

    @Test func nonceAndIssuerAreOptionalWhenNotExpected() {
        var loose = expected
        loose.nonce = nil
        loose.issuers = []
        #expect(accepts(claims(["nonce": nil, "iss": "https://tenant-7.idp.example"]), loose))
    }

    @Test func malformedTokensAreRefused() async {
        for token in ["", "a.b", "x.y.z", "e30.e30.sig"] {
            await #expect(throws: IDTokenRejection.self) { try await IDTokenVerifier.verify(token, expected) }
        }
    }
}

extension IDTokenClaimsTests {
    @Test func appleMayCarryTheHashedNonce() {
        // SHA-256("n-1") in hex, as Sign in with Apple on iOS sends it.
        var apple = expected
        apple.acceptsHashedNonce = true
        let hashed = Hex.encode(SHA256.hash(data: Array("n-1".utf8)))
        #expect(accepts(claims(["nonce": .string(hashed)]), apple))
        #expect(!accepts(claims(["nonce": .string(hashed)])))
        #expect(!accepts(claims(["nonce": .string(Hex.encode(SHA256.hash(data: Array("n-2".utf8))))]), apple))
    }
}
