import CSAML
import Foundation

/// Checks a SAML 2.0 `<samlp:Response>` as a service provider must before it believes a word
/// of it, and reads the identity from the signed element only:
///
/// - the document parses without a DOCTYPE, and its `ID`s are unique;
/// - it holds exactly one `<saml:Assertion>` anywhere (so no wrapped copy can hide beside the
///   signed one), a child of the Response, and no encrypted one;
/// - the Response or the Assertion carries an enveloped signature that verifies with the
///   configured certificate (never a key from KeyInfo) and covers the element it sits in; a
///   signature that is present must verify, even when the other one does;
/// - the status is Success, the Response's `Destination` (when given) and the bearer
///   `SubjectConfirmationData`'s `Recipient` are this ACS, the Assertion's `Issuer` is the IdP
///   (when configured), `NotBefore`/`NotOnOrAfter` hold within the clock skew, and an
///   `AudienceRestriction` names this SP.
///
/// `InResponseTo` and replays need the database; the caller checks them with what this answers.
public enum SAMLResponseVerifier {
    static let protocolNamespace = "urn:oasis:names:tc:SAML:2.0:protocol"
    static let assertionNamespace = "urn:oasis:names:tc:SAML:2.0:assertion"
    static let signatureNamespace = "http://www.w3.org/2000/09/xmldsig#"
    static let success = "urn:oasis:names:tc:SAML:2.0:status:Success"
    static let bearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

    public static func verify(_ xml: String, _ expected: SAMLExpectation) throws(SAMLError) -> VerifiedAssertion {
        let document = try SAMLDocument(xml)
        // The nodes below point into the document: it must outlive every use of them.
        return try withExtendedLifetime(document) { () throws(SAMLError) -> VerifiedAssertion in try verify(document.root, expected) }
    }

    private static func verify(_ response: SAMLNode, _ expected: SAMLExpectation) throws(SAMLError) -> VerifiedAssertion {
        guard response.isElement("Response", in: protocolNamespace) else {
            throw SAMLError("not_a_response", "the message is not a SAML Response")
        }
        let assertions = response.descendants { $0.isElement("Assertion", in: assertionNamespace) }
        guard response.descendants(where: { $0.isElement("EncryptedAssertion", in: assertionNamespace) }).isEmpty else {
            throw SAMLError("encrypted_assertion", "encrypted assertions are not supported")
        }
        guard assertions.count == 1, let assertion = assertions.first, assertion.parent == response else {
            throw SAMLError("assertion_count", "the Response must hold exactly one Assertion, as its child (it holds \(assertions.count))")
        }
        let responseSigned = try verifySignature(of: response, expected)
        let assertionSigned = try verifySignature(of: assertion, expected)
        guard responseSigned || assertionSigned else {
            throw SAMLError("unsigned", "neither the Response nor the Assertion is signed")
        }
        guard response.child("Status", in: protocolNamespace)?.child("StatusCode", in: protocolNamespace)?.attribute("Value") == success else {
            throw SAMLError("status", "the IdP did not report success")
        }
        if let destination = response.attribute("Destination"), destination != expected.assertionConsumerServiceURL {
            throw SAMLError("destination", "the Response is addressed to another ACS")
        }
        let issuer = assertion.child("Issuer", in: assertionNamespace)?.text
        if let idp = expected.identityProviderEntityID, issuer != idp {
            throw SAMLError("issuer", "the Assertion was issued by another IdP")
        }
        let conditionsEnd = try checkConditions(of: assertion, expected)
        let subject = assertion.child("Subject", in: assertionNamespace)
        let confirmation = try bearerConfirmation(in: subject, expected)
        // Remembered against replays for as long as any part of it is still valid.
        let confirmationEnd = try confirmation.attribute("NotOnOrAfter").map { text throws(SAMLError) in try SAMLTime.parse(text) }
        let notOnOrAfter = [conditionsEnd, confirmationEnd].compactMap { $0 }.max()
        // The signed InResponseTo: the confirmation's (inside the Assertion), else the Response's
        // when the Response itself is signed. An unsigned one cannot name a request.
        let signedInResponseTo = confirmation.attribute("InResponseTo") ?? (responseSigned ? response.attribute("InResponseTo") : nil)
        if let fromResponse = response.attribute("InResponseTo"), let signedInResponseTo, fromResponse != signedInResponseTo {
            throw SAMLError("in_response_to", "the Response and its Assertion answer different requests")
        }
        guard let nameIDNode = subject?.child("NameID", in: assertionNamespace), nameIDNode.children.allSatisfy({ !$0.isAnyElement }) else {
            throw SAMLError("name_id", "the Assertion has no NameID")
        }
        // The whole text: a comment inside (`a@corp.test<!---->.evil.test`) splits nothing.
        let nameID = nameIDNode.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !nameID.isEmpty, let assertionID = assertion.attribute("ID") else {
            throw SAMLError("name_id", "the Assertion has an empty NameID or no ID")
        }
        return VerifiedAssertion(
            assertionID: assertionID, issuer: issuer, inResponseTo: signedInResponseTo, nameID: nameID,
            nameIDFormat: nameIDNode.attribute("Format"),
            sessionIndex: assertion.child("AuthnStatement", in: assertionNamespace)?.attribute("SessionIndex"),
            attributes: attributes(of: assertion), notOnOrAfter: notOnOrAfter)
    }

    /// Whether `element` carries a signature (as its child) that verifies; throws if it carries
    /// one that does not, or more than one.
    private static func verifySignature(of element: SAMLNode, _ expected: SAMLExpectation) throws(SAMLError) -> Bool {
        let signatures = element.children.filter { $0.isElement("Signature", in: signatureNamespace) }
        guard let signature = signatures.first else { return false }
        guard signatures.count == 1 else { throw SAMLError("signature", "an element carries more than one signature") }
        var why = [CChar](repeating: 0, count: 256)
        let pem = Array(expected.certificatePEM.utf8)
        let result = pem.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { csaml_verify_signature(signature.pointer, $0.baseAddress, $0.count, &why, why.count) }
        }
        guard result == 1 else { throw SAMLError(result < 0 ? "certificate" : "signature", CString.text(why)) }
        return true
    }

    /// `Conditions`: the validity window (with the skew) and an audience naming this SP. Answers
    /// the end of the window, for how long the assertion's ID must be remembered.
    private static func checkConditions(of assertion: SAMLNode, _ expected: SAMLExpectation) throws(SAMLError) -> Date? {
        guard let conditions = assertion.child("Conditions", in: assertionNamespace) else {
            throw SAMLError("conditions", "the Assertion has no Conditions")
        }
        let notOnOrAfter = try window(conditions, expected)
        let restrictions = conditions.children.filter { $0.isElement("AudienceRestriction", in: assertionNamespace) }
        guard !restrictions.isEmpty, restrictions.allSatisfy({ restriction in
            restriction.children.contains { $0.isElement("Audience", in: assertionNamespace) && $0.text == expected.serviceProviderEntityID }
        }) else {
            throw SAMLError("audience", "the Assertion is not meant for this service provider")
        }
        return notOnOrAfter
    }

    /// The bearer `SubjectConfirmationData` addressed to this ACS and still valid.
    private static func bearerConfirmation(in subject: SAMLNode?, _ expected: SAMLExpectation) throws(SAMLError) -> SAMLNode {
        let confirmations = subject?.children.filter {
            $0.isElement("SubjectConfirmation", in: assertionNamespace) && $0.attribute("Method") == bearer
        } ?? []
        for confirmation in confirmations {
            guard let data = confirmation.child("SubjectConfirmationData", in: assertionNamespace),
                  data.attribute("Recipient") == expected.assertionConsumerServiceURL else { continue }
            guard data.attribute("NotOnOrAfter") != nil else { throw SAMLError("expired", "the subject confirmation has no NotOnOrAfter") }
            _ = try window(data, expected)
            return data
        }
        throw SAMLError("recipient", "no bearer subject confirmation is addressed to this ACS")
    }

    /// Checks `NotBefore` and `NotOnOrAfter` of `element` against now, with the skew.
    @discardableResult
    private static func window(_ element: SAMLNode, _ expected: SAMLExpectation) throws(SAMLError) -> Date? {
        let notBefore = try element.attribute("NotBefore").map { text throws(SAMLError) in try SAMLTime.parse(text) }
        let notOnOrAfter = try element.attribute("NotOnOrAfter").map { text throws(SAMLError) in try SAMLTime.parse(text) }
        if let notBefore, expected.now.addingTimeInterval(expected.clockSkew) < notBefore {
            throw SAMLError("not_yet_valid", "the Assertion is not valid yet")
        }
        if let notOnOrAfter, expected.now.addingTimeInterval(-expected.clockSkew) >= notOnOrAfter {
            throw SAMLError("expired", "the Assertion has expired")
        }
        return notOnOrAfter
    }

    /// `AttributeStatement` values by attribute `Name` (and `FriendlyName`).
    private static func attributes(of assertion: SAMLNode) -> [String: [String]] {
        var attributes: [String: [String]] = [:]
        for statement in assertion.children where statement.isElement("AttributeStatement", in: assertionNamespace) {
            for attribute in statement.children where attribute.isElement("Attribute", in: assertionNamespace) {
                let values = attribute.children.filter { $0.isElement("AttributeValue", in: assertionNamespace) }.map(\.text)
                for name in [attribute.attribute("Name"), attribute.attribute("FriendlyName")].compactMap({ $0 }) {
                    attributes[name, default: []] += values
                }
            }
        }
        return attributes
    }
}

/// What the service provider expects of a Response.
public struct SAMLExpectation: Sendable {
    public var serviceProviderEntityID: String
    public var assertionConsumerServiceURL: String
    /// The IdP's entity ID; nil accepts any Issuer (the certificate still decides).
    public var identityProviderEntityID: String?
    public var certificatePEM: String
    public var clockSkew: TimeInterval
    public var now: Date

    public init(serviceProviderEntityID: String, assertionConsumerServiceURL: String, identityProviderEntityID: String?,
                certificatePEM: String, clockSkew: TimeInterval = 300, now: Date = Date()) {
        self.serviceProviderEntityID = serviceProviderEntityID
        self.assertionConsumerServiceURL = assertionConsumerServiceURL
        self.identityProviderEntityID = identityProviderEntityID
        self.certificatePEM = certificatePEM
        self.clockSkew = clockSkew
        self.now = now
    }
}

/// The identity a verified Response asserts, read from its signed Assertion.
public struct VerifiedAssertion: Sendable, Equatable {
    public let assertionID: String
    public let issuer: String?
    /// The request this answers, from a signed element; nil for an unsolicited response.
    public let inResponseTo: String?
    public let nameID: String
    public let nameIDFormat: String?
    public let sessionIndex: String?
    public let attributes: [String: [String]]
    /// Until when the assertion is valid (the later of its Conditions' and its subject
    /// confirmation's ends): how long its ID must be remembered against replays.
    public let notOnOrAfter: Date?
}

/// Why a SAML message was refused: a short `code` and a message for logs and the error redirect.
public struct SAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// xs:dateTime as SAML writes it (UTC, optional fractional seconds).
enum SAMLTime {
    static func parse(_ text: String) throws(SAMLError) -> Date {
        // The shape first: ICU's parser divides by zero (SIGFPE) on some malformed fractions.
        guard text.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})/) != nil else {
            throw SAMLError("time", "\(text.prefix(40)) is not an xs:dateTime")
        }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = withFraction.date(from: text) ?? ISO8601DateFormatter().date(from: text) else {
            throw SAMLError("time", "\(text.prefix(40)) is not an xs:dateTime")
        }
        return date
    }
}
