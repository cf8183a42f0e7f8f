import Foundation
import GatehouseJSON
import PluginKit
import SAML

/// SP-initiated and IdP-initiated SAML sign-ins. A started flow is a `verification` row named by
/// the AuthnRequest's ID (`saml-authn-request:<id>`, as Better Auth names it), used up by the
/// Response that answers it, so a flow started on one instance ends on any other, once. Used
/// assertion IDs go to `ssoAssertion`, whose unique key makes a replay fail on every instance.
struct SAMLFlow: Sendable {
    static let requestLifetime = 600
    let host: PluginHost
    let db: PluginDatabase
    let settings: SSOSettings
    let site: Site

    /// `POST /sign-in/sso` for a SAML provider: the IdP URL carrying a fresh AuthnRequest.
    func start(_ provider: SSOProvider, flow: FlowURLs) throws -> PluginAnswer {
        guard let saml = provider.saml, let entryPoint = saml["entryPoint"]?.stringValue else {
            throw PluginError(code: "INVALID_SAML_CONFIG", message: "the provider has no SAML entry point")
        }
        let requestID = "_" + host.randomText(32, alphabet: Site.alphanumeric)
        let relayState = host.randomText(32, alphabet: Site.alphanumeric)
        let request: SAMLAuthnRequest
        do {
            request = try SAMLAuthnRequest(id: requestID, issueInstant: Date(), entryPoint: entryPoint,
                                           serviceProviderEntityID: provider.serviceProviderEntityID,
                                           assertionConsumerServiceURL: site.acs(provider.providerID),
                                           nameIDFormat: saml["identifierFormat"]?.stringValue, relayState: relayState)
        } catch {
            throw PluginError(status: 500, code: error.code.uppercased(), message: error.message)
        }
        let state: JSONValue = ["providerId": .string(provider.providerID), "relayState": .string(relayState), "flow": flow.json]
        _ = try host.call("verifications.create", ["identifier": .string("saml-authn-request:" + requestID), "value": .string(state.serialized()),
                                                "expiresIn": .int(Self.requestLifetime)])
        return .json(["url": .string(request.url), "redirect": true])
    }

    /// `POST /sso/saml2/sp/acs/:providerId`: checks the Response, uses up its request (or accepts
    /// it unsolicited when allowed), refuses a replayed assertion, signs the user in and
    /// redirects to the flow's URL.
    func consume(_ provider: SSOProvider, form: JSONValue, signIn: SSOSignIn) throws -> PluginAnswer {
        guard let encoded = form["SAMLResponse"]?.stringValue,
              let data = Data(base64Encoded: encoded.filter { !$0.isWhitespace }), let xml = String(data: data, encoding: .utf8)
        else { throw PluginError(code: "INVALID_SAML_RESPONSE", message: "SAMLResponse must be a base64 SAML Response") }
        guard let cert = provider.saml?["cert"]?.stringValue else {
            throw PluginError(code: "INVALID_SAML_CONFIG", message: "the provider has no certificate")
        }
        let expected = SAMLExpectation(serviceProviderEntityID: provider.audience,
                                       assertionConsumerServiceURL: site.acs(provider.providerID),
                                       identityProviderEntityID: provider.identityProviderEntityID, certificatePEM: cert,
                                       clockSkew: settings.clockSkew, now: Date())
        let assertion: VerifiedAssertion
        do {
            assertion = try SAMLResponseVerifier.verify(xml, expected)
        } catch {
            host.log(.warning, "SAML Response refused for provider \(provider.providerID): \(error)")
            throw PluginError(code: "INVALID_SAML_RESPONSE", message: "The SAML Response was refused: \(error.message)")
        }
        let flow = try requestFlow(for: assertion, provider, relayState: form["RelayState"]?.stringValue)
        do {
            try remember(assertion, provider)
            return try signIn.finish(assertion, provider, flow: flow)
        } catch let error as PluginError {
            return flow.failure(error.code.lowercased())
        }
    }

    /// The flow this Response answers: its request, used up here (unknown, used or another
    /// provider's: refused), or, for an unsolicited Response, `idpInitiatedCallbackUrl` when allowed.
    private func requestFlow(for assertion: VerifiedAssertion, _ provider: SSOProvider, relayState: String?) throws -> FlowURLs {
        guard let requestID = assertion.inResponseTo else {
            guard settings.allowIdpInitiated else {
                throw PluginError(code: "UNSOLICITED_RESPONSE", message: "IdP-initiated sign-in is not allowed (plugins.sso.saml.allowIdpInitiated)")
            }
            let landing = provider.saml?["idpInitiatedCallbackUrl"]?.stringValue ?? provider.saml?["callbackUrl"]?.stringValue ?? site.baseURL
            return FlowURLs(callbackURL: landing, errorCallbackURL: nil, newUserCallbackURL: nil)
        }
        let identifier: JSONValue = .string("saml-authn-request:" + requestID)
        // Read and compare first, then use up: a Response for another provider, or with another
        // RelayState, cannot burn somebody's pending request.
        let stored = try host.call("verifications.find", ["identifier": identifier])["value"]?.stringValue
        guard let stored, let state = try? JSONValue.parse(Array(stored.utf8)), state["providerId"]?.stringValue == provider.providerID else {
            throw PluginError(code: "UNKNOWN_REQUEST", message: "The Response answers no request pending for this provider")
        }
        guard let issued = state["relayState"]?.stringValue, let relayState, ConstantTime.equal(Array(issued.utf8), Array(relayState.utf8)) else {
            throw PluginError(code: "INVALID_RELAY_STATE", message: "RelayState is not the one issued with the request")
        }
        guard try host.call("verifications.consume", ["identifier": identifier])["value"]?.stringValue == stored else {
            throw PluginError(code: "UNKNOWN_REQUEST", message: "The request was used meanwhile")
        }
        return FlowURLs(state["flow"] ?? .null, fallback: site.baseURL)
    }

    /// Records the assertion's ID until it expires; a second use breaks the unique key.
    private func remember(_ assertion: VerifiedAssertion, _ provider: SSOProvider) throws {
        let until = (assertion.notOnOrAfter ?? Date().addingTimeInterval(3600)).addingTimeInterval(settings.clockSkew)
        do {
            try db.create("ssoAssertion", ["providerId": .string(provider.providerID), "assertionId": .string(assertion.assertionID),
                                           "expiresAt": .string(ISODate.format(until))])
        } catch {
            throw PluginError(code: "REPLAYED_ASSERTION", message: "This assertion was already used")
        }
    }

    /// `GET /sso/saml2/sp/metadata?providerId=`.
    func metadata(_ provider: SSOProvider) -> PluginAnswer {
        .text(SAMLServiceProviderMetadata.xml(entityID: provider.serviceProviderEntityID, assertionConsumerServiceURL: site.acs(provider.providerID),
                                              nameIDFormat: provider.saml?["identifierFormat"]?.stringValue),
              contentType: SAMLServiceProviderMetadata.contentType)
    }

    /// Deletes the remembered assertion IDs that have expired; answers how many.
    func purge() throws -> Int {
        try db.delete("ssoAssertion", [("expiresAt", "<", .string(ISODate.format(Date())))])
    }
}
