import CSAML
import Foundation

/// An SP-initiated sign-in: the `<samlp:AuthnRequest>` and the IdP URL that carries it with the
/// HTTP-Redirect binding (raw DEFLATE, base64, URL-encoded `SAMLRequest`, then `RelayState`).
/// The request asks for the answer by HTTP-POST at this SP's ACS.
public struct SAMLAuthnRequest: Sendable {
    /// The request's ID (`_` + random), which the Response's `InResponseTo` must name.
    public let id: String
    public let xml: String
    /// `entryPoint?SAMLRequest=…&RelayState=…`
    public let url: String

    /// `id` must be a fresh random NCName (an XML ID cannot start with a digit).
    public init(id: String, issueInstant: Date, entryPoint: String, serviceProviderEntityID: String,
                assertionConsumerServiceURL: String, nameIDFormat: String?, relayState: String) throws(SAMLError) {
        self.id = id
        let instant = ISO8601DateFormatter().string(from: issueInstant)
        let policy = nameIDFormat.map { #"<samlp:NameIDPolicy Format="\#(XMLText.attribute($0))" AllowCreate="true"/>"# } ?? ""
        xml = #"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion""#
            + #" ID="\#(XMLText.attribute(id))" Version="2.0" IssueInstant="\#(instant)" Destination="\#(XMLText.attribute(entryPoint))""#
            + #" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST""#
            + #" AssertionConsumerServiceURL="\#(XMLText.attribute(assertionConsumerServiceURL))">"#
            + "<saml:Issuer>\(XMLText.content(serviceProviderEntityID))</saml:Issuer>\(policy)</samlp:AuthnRequest>"
        let message = try Self.deflate(Array(xml.utf8)).base64EncodedString()
        let separator = entryPoint.contains("?") ? "&" : "?"
        url = entryPoint + separator + "SAMLRequest=" + Self.queryValue(message) + "&RelayState=" + Self.queryValue(relayState)
    }

    private static func deflate(_ bytes: [UInt8]) throws(SAMLError) -> Data {
        var out = [UInt8](repeating: 0, count: bytes.count + bytes.count / 1000 + 64)
        let capacity = out.count
        let written = out.withUnsafeMutableBufferPointer { csaml_deflate(bytes, bytes.count, $0.baseAddress, capacity) }
        guard written > 0 else { throw SAMLError("deflate", "the AuthnRequest could not be compressed") }
        return Data(out.prefix(written))
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    static func queryValue(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

/// Text put into XML: escaped for an attribute value or element content.
enum XMLText {
    static func content(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func attribute(_ text: String) -> String {
        content(text).replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "\n", with: "&#10;")
            .replacingOccurrences(of: "\r", with: "&#13;").replacingOccurrences(of: "\t", with: "&#9;")
    }
}

/// This SP's metadata for one provider: its entity ID, the ACS (HTTP-POST) and the NameID format.
public enum SAMLServiceProviderMetadata {
    public static let contentType = "application/samlmetadata+xml"

    public static func xml(entityID: String, assertionConsumerServiceURL: String, nameIDFormat: String?) -> String {
        let format = nameIDFormat ?? "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
        return #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
            + #"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="\#(XMLText.attribute(entityID))">"#
            + #"<md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true""#
            + #" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">"#
            + "<md:NameIDFormat>\(XMLText.content(format))</md:NameIDFormat>"
            + #"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST""#
            + #" Location="\#(XMLText.attribute(assertionConsumerServiceURL))" index="1" isDefault="true"/>"#
            + "</md:SPSSODescriptor></md:EntityDescriptor>"
    }
}
