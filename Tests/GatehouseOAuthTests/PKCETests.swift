import GatehouseOAuth
import Testing

@Suite struct PKCETests {
    /// RFC 7636 Appendix B.
    @Test func challengeMatchesTheRFCExample() {
        #expect(PKCE.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }

    @Test func verifiersAreLongAndUnreserved() {
        let verifier = PKCE.makeVerifier()
        #expect(verifier.count == 128)
        #expect(verifier.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(PKCE.makeVerifier() != verifier)
    }
}
