import Foundation
import GatehouseJSON
import PluginKit
import SAML

/// Where this server answers: its base URL and path, and the SSO routes under them.
struct Site: Sendable {
    static let alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    let baseURL: String
    let basePath: String

    func acs(_ providerID: String) -> String { baseURL + basePath + "/sso/saml2/sp/acs/" + providerID }
    func callback(_ providerID: String) -> String { baseURL + basePath + "/sso/callback/" + providerID }
    func metadata(_ providerID: String) -> String {
        baseURL + basePath + "/sso/saml2/sp/metadata?providerId=" + (providerID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? providerID)
    }
}

/// The URLs a sign-in ends on, given to `POST /sign-in/sso` (checked against the trusted origins
/// by the host) and kept with the flow.
struct FlowURLs: Sendable {
    let callbackURL: String
    let errorCallbackURL: String?
    let newUserCallbackURL: String?

    init(callbackURL: String, errorCallbackURL: String?, newUserCallbackURL: String?) {
        self.callbackURL = callbackURL
        self.errorCallbackURL = errorCallbackURL
        self.newUserCallbackURL = newUserCallbackURL
    }

    init(_ json: JSONValue, fallback: String) {
        self.init(callbackURL: json["callbackURL"]?.stringValue ?? fallback, errorCallbackURL: json["errorCallbackURL"]?.stringValue,
                  newUserCallbackURL: json["newUserCallbackURL"]?.stringValue)
    }

    var json: JSONValue {
        ["callbackURL": .string(callbackURL), "errorCallbackURL": errorCallbackURL.map(JSONValue.string) ?? .null,
         "newUserCallbackURL": newUserCallbackURL.map(JSONValue.string) ?? .null]
    }

    /// A 302 to the error URL (else the callback URL) with `?error=<code>`.
    func failure(_ code: String) -> PluginAnswer {
        let target = errorCallbackURL ?? callbackURL
        guard var components = URLComponents(string: target) else { return PluginAnswer.status(302).header("location", target) }
        let items = components.queryItems ?? []
        components.queryItems = items + [URLQueryItem(name: "error", value: code)]
        return PluginAnswer.status(302).header("location", components.string ?? target)
    }
}

/// The end of an SSO sign-in: the user found by the account (providerId, issuer, accountId), else
/// by e-mail, else created (the host's `oauth.signIn`, with the core's linking policy), then the
/// session and the redirect.
struct SSOSignIn: Sendable {
    let host: PluginHost
    let organizations: OrganizationLink

    /// The identity of a verified SAML assertion: NameID as the account, `email` (else the
    /// NameID) as the e-mail, `givenName surname`, else `displayName`, else the NameID as the name
    /// (attribute names as `samlConfig.mapping` renames them). The e-mail counts as unverified: an
    /// IdP anyone may register never links to an existing user by e-mail.
    func finish(_ assertion: VerifiedAssertion, _ provider: SSOProvider, flow: FlowURLs) throws -> PluginAnswer {
        let value = { (field: String, name: String) in assertion.attributes[provider.attribute(field, default: name)]?.first }
        let email = value("email", "email") ?? assertion.nameID
        let fullName = [value("firstName", "givenName"), value("lastName", "surname")].compactMap { $0 }.joined(separator: " ")
        let name = fullName.isEmpty ? value("name", "displayName") ?? assertion.nameID : fullName
        let profile: JSONValue = ["subject": .string(assertion.nameID), "email": .string(email.lowercased()), "emailVerified": false,
                                  "name": .string(name)]
        let userID = try signIn(provider, issuer: provider.identityProviderEntityID, profile: profile).userID
        // As Better Auth: a SAML sign-in ends on the callback URL, new user or not.
        return PluginAnswer.status(302).header("location", flow.callbackURL).signIn(userID: userID)
    }

    /// Signs in the account `(issuer, profile.subject)` of `provider`, refusing one that belongs to
    /// another provider (the operator's social providers, the password accounts): a registered IdP
    /// never speaks for someone else's identity. Provisions the organization membership.
    func signIn(_ provider: SSOProvider, issuer: String, profile: JSONValue, tokens: JSONValue = [:]) throws -> (userID: String, isNew: Bool) {
        guard let subject = profile["subject"]?.stringValue else { throw PluginError(code: "ACCOUNT_NOT_LINKED", message: "no subject") }
        let existing = try host.call("accounts.find", ["issuer": .string(issuer), "accountId": .string(subject)])["accounts"]?.arrayValue ?? []
        guard existing.allSatisfy({ $0["providerId"]?.stringValue == provider.providerID }) else {
            throw PluginError(code: "ACCOUNT_NOT_LINKED", message: "this identity belongs to another provider")
        }
        let result = try host.call("oauth.signIn", ["providerId": .string(provider.providerID), "issuer": .string(issuer),
                                                    "profile": profile, "tokens": tokens])
        guard let userID = result["user"]?["id"]?.stringValue else {
            throw PluginError(code: "UNABLE_TO_CREATE_USER", message: "the host answered no user")
        }
        organizations.provision(userID, through: provider)
        return (userID, result["isRegister"]?.boolValue == true)
    }
}
