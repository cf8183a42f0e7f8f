import Foundation
import SAML
import Testing

/// The SAML Response checks on fixtures signed by xmlsec1 (Fixtures/make_fixtures.py): what a
/// good Response yields, and the refusals the SSO plugin relies on, signature wrapping included.
@Suite struct SAMLResponseVerifierTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let certificate = fixture("idp.crt")
    static let acs = "http://127.0.0.1:3000/api/auth/sso/saml2/sp/acs/acme"

    static func fixture(_ name: String) -> String {
        (try? String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    static func expectation(now: String = "2026-01-01T00:01:00Z", audience: String = "https://sp.example/acme", acs: String = acs,
                            idp: String? = "https://idp.example/metadata", certificate: String = certificate) -> SAMLExpectation {
        SAMLExpectation(serviceProviderEntityID: audience, assertionConsumerServiceURL: acs, identityProviderEntityID: idp,
                        certificatePEM: certificate, clockSkew: 300, now: ISO8601DateFormatter().date(from: now)!)
    }

    static func refusal(_ file: String, _ expected: SAMLExpectation = expectation()) -> String? {
        do {
            _ = try SAMLResponseVerifier.verify(fixture(file), expected)
            return nil
        } catch {
            return error.code
        }
    }

    @Test(arguments: ["assertion-signed.xml", "response-signed.xml", "both-signed.xml"])
    func aSignedResponseYieldsItsIdentity(_ file: String) throws {
        let verified = try SAMLResponseVerifier.verify(Self.fixture(file), Self.expectation())
        #expect(verified.nameID == "ada@corp.test")
        #expect(verified.nameIDFormat == "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
        #expect(verified.assertionID == "_a1" && verified.inResponseTo == "_req1" && verified.sessionIndex == "_s1")
        #expect(verified.issuer == "https://idp.example/metadata")
        #expect(verified.attributes["email"] == ["ada@corp.test"] && verified.attributes["givenName"] == ["Ada"])
        #expect(verified.notOnOrAfter == ISO8601DateFormatter().date(from: "2026-01-01T00:05:00Z"))
    }

    @Test(arguments: [
        ("unsigned.xml", "unsigned"), ("tampered.xml", "signature"), ("foreign-key.xml", "signature"), ("doctype.xml", "malformed"),
        ("duplicate-id.xml", "malformed"), ("wrap-before.xml", "assertion_count"), ("wrap-around.xml", "assertion_count"),
        ("wrap-extensions.xml", "assertion_count"), ("wrap-object.xml", "assertion_count"),
    ])
    func attacksAreRefused(_ file: String, _ code: String) {
        #expect(Self.refusal(file) == code, "\(file)")
    }

    @Test func aCommentInTheNameIDSplitsNothing() throws {
        let verified = try SAMLResponseVerifier.verify(Self.fixture("comment-in-name-id.xml"), Self.expectation())
        #expect(verified.nameID == "ada@corp.test.evil.test")
    }

    @Test func timeAudienceRecipientAndIssuerAreChecked() {
        #expect(Self.refusal("assertion-signed.xml", Self.expectation(now: "2026-01-01T00:09:59Z")) == nil)     // within the skew
        #expect(Self.refusal("assertion-signed.xml", Self.expectation(now: "2026-01-01T00:10:00Z")) == "expired")
        #expect(Self.refusal("assertion-signed.xml", Self.expectation(now: "2025-12-31T23:53:59Z")) == "not_yet_valid")
        #expect(Self.refusal("assertion-signed.xml", Self.expectation(audience: "https://other.example")) == "audience")
        #expect(Self.refusal("assertion-signed.xml", Self.expectation(acs: "http://127.0.0.1:3000/other")) == "destination")
        #expect(Self.refusal("assertion-signed.xml", Self.expectation(idp: "https://other-idp.example")) == "issuer")
        #expect(Self.refusal("assertion-signed.xml", Self.expectation(certificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
                == "certificate")
    }

    /// A Response from a real IdP (pysaml2): its own prefixes (`ns0:`, `ns1:`), KeyInfo, ID style.
    @Test func aPysaml2ResponseVerifies() throws {
        let xml = Self.fixture("pysaml2-response.xml")
        let issued = try #require(xml.firstMatch(of: /IssueInstant="([^"]+)"/)?.1)
        let now = try #require(ISO8601DateFormatter().date(from: String(issued))).addingTimeInterval(60)
        var expected = Self.expectation(certificate: Self.fixture("pysaml2-idp.crt"))
        expected.now = now
        let verified = try SAMLResponseVerifier.verify(xml, expected)
        #expect(verified.nameID == "ada@corp.test" && verified.inResponseTo == "_req1")
        #expect(verified.attributes["email"] == ["ada@corp.test"] && verified.attributes["surname"] == ["Lovelace"])
        #expect(throws: SAMLError.self) { try SAMLResponseVerifier.verify(xml, Self.expectation()) }   // another IdP's certificate
    }

    @Test func notXMLIsMalformed() {
        #expect(throws: SAMLError.self) { try SAMLResponseVerifier.verify("<samlp:Response", Self.expectation()) }
        #expect(throws: SAMLError.self) { try SAMLResponseVerifier.verify("", Self.expectation()) }
    }
}
