import Foundation
import FuzzSupport
import SAML

/// The XML of a posted `SAMLResponse` (the sso plugin), checked against the expectation and
/// certificate of Tests/SAMLTests' fixtures, so signed seeds reach the checks behind the signature.
@main enum FuzzSAMLResponse: FuzzTarget {
    static let expected = SAMLExpectation(
        serviceProviderEntityID: "https://sp.example/acme", assertionConsumerServiceURL: "http://127.0.0.1:3000/api/auth/sso/saml2/sp/acs/acme",
        identityProviderEntityID: "https://idp.example/metadata",
        certificatePEM: try! String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../SAMLTests/Fixtures/idp.crt"), encoding: .utf8),
        now: Date(timeIntervalSince1970: 1_767_225_660))  // 2026-01-01T00:01:00Z, when the fixtures are valid

    static func test(_ input: [UInt8]) {
        _ = try? SAMLResponseVerifier.verify(String(decoding: input, as: UTF8.self), expected)
    }
}
