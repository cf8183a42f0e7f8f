import Foundation
import SAML
import Testing

/// The AuthnRequest in its HTTP-Redirect URL, inflated by Python's zlib (a real peer), and the SP
/// metadata.
@Suite struct SAMLRequestTests {
    static let acs = "http://127.0.0.1:3000/api/auth/sso/saml2/sp/acs/acme"

    /// `SAMLRequest` of `url` inflated by Python's zlib.
    static func inflate(_ url: String) throws -> String {
        let query = try #require(URLComponents(string: url)?.queryItems)
        let message = try #require(query.first { $0.name == "SAMLRequest" }?.value)
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import base64,sys,zlib; sys.stdout.write(zlib.decompress(base64.b64decode(sys.argv[1]), -15).decode())", message]
        let out = Pipe()
        python.standardOutput = out
        try python.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self)
    }

    @Test func theRequestTravelsDeflatedWithItsRelayState() throws {
        let request = try SAMLAuthnRequest(
            id: "_f3a9", issueInstant: Date(timeIntervalSince1970: 1_767_225_600), entryPoint: "https://idp.example/sso?tenant=a&b",
            serviceProviderEntityID: "https://sp.example/acme", assertionConsumerServiceURL: Self.acs,
            nameIDFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", relayState: "r+/=&x")
        #expect(request.url.hasPrefix("https://idp.example/sso?tenant=a&b&SAMLRequest="))
        #expect(request.url.hasSuffix("&RelayState=r%2B%2F%3D%26x"))
        let xml = try Self.inflate(request.url)
        #expect(xml == request.xml)
        #expect(xml.contains(#"ID="_f3a9""#) && xml.contains(#"IssueInstant="2026-01-01T00:00:00Z""#))
        #expect(xml.contains(#"Destination="https://idp.example/sso?tenant=a&amp;b""#))
        #expect(xml.contains(#"AssertionConsumerServiceURL="\#(Self.acs)""#))
        #expect(xml.contains(#"ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST""#))
        #expect(xml.contains("<saml:Issuer>https://sp.example/acme</saml:Issuer>"))
        #expect(xml.contains(#"<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>"#))
    }

    @Test func metadataNamesTheEntityTheACSAndTheFormat() {
        let xml = SAMLServiceProviderMetadata.xml(entityID: "https://sp.example/a&b", assertionConsumerServiceURL: Self.acs, nameIDFormat: nil)
        #expect(xml.contains(#"entityID="https://sp.example/a&amp;b""#))
        #expect(xml.contains(#"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="\#(Self.acs)""#))
        #expect(xml.contains("<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>"))
        #expect(SAMLServiceProviderMetadata.contentType == "application/samlmetadata+xml")
    }
}
