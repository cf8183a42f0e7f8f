import Foundation
import GatehouseJSON
import NetworkAddress
import PluginKit

/// OIDC providers through the host's OAuth client (`oauth.*`): the authorization-code flow with
/// S256 PKCE, state and a nonce (Better Auth's SSO sends none), the ID token checked against the
/// OP's JWKS, the user found or created by `oauth.signIn`.
struct OIDCFlow: Sendable {
    static let endpointKeys = ["discoveryEndpoint", "authorizationEndpoint", "tokenEndpoint", "userInfoEndpoint", "jwksEndpoint"]
    let host: PluginHost
    let site: Site
    let signIn: SSOSignIn
    let trustEmailVerified: Bool

    /// The host's inline provider for `provider`: its client, discovery document and overrides.
    func inline(_ provider: SSOProvider) -> JSONValue {
        let config = provider.oidc ?? [:]
        var members: [(String, JSONValue)] = [("id", .string(provider.providerID))]
        for (key, value) in [("clientId", config["clientId"]), ("clientSecret", config["clientSecret"]), ("scopes", config["scopes"]),
                             ("authorizationEndpoint", config["authorizationEndpoint"]), ("tokenEndpoint", config["tokenEndpoint"]),
                             ("userInfoEndpoint", config["userInfoEndpoint"])] {
            if let value = value?.nonNull { members.append((key, value)) }
        }
        let discovery = config["discoveryEndpoint"]?.stringValue
            ?? provider.issuer.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/.well-known/openid-configuration"
        members.append(("discoveryUrl", .string(discovery)))
        return .object(.init(uniqueKeysWithValues: members))
    }

    /// `POST /sign-in/sso` for an OIDC provider: the authorization URL, and the state cookie.
    func start(_ provider: SSOProvider, flow: FlowURLs) throws -> PluginAnswer {
        var request: [(String, JSONValue)] = [
            ("provider", inline(provider)), ("redirectURI", .string(site.callback(provider.providerID))),
            ("callbackURL", .string(flow.callbackURL)),
        ]
        if let url = flow.errorCallbackURL { request.append(("errorCallbackURL", .string(url))) }
        if let url = flow.newUserCallbackURL { request.append(("newUserCallbackURL", .string(url))) }
        // The flow names its provider: a callback on another provider's URL is refused.
        request.append(("additionalData", ["ssoProviderId": .string(provider.providerID)]))
        let started = try host.call("oauth.start", .object(.init(uniqueKeysWithValues: request)))
        guard let url = started["url"]?.stringValue, let cookie = started["cookie"], let name = cookie["name"]?.stringValue,
              let value = cookie["value"]?.stringValue else {
            throw PluginError(status: 500, code: "HOST_ERROR", message: "oauth.start answered no URL")
        }
        return PluginAnswer.json(["url": .string(url), "redirect": true])
            .cookie(name, value, maxAge: cookie["maxAge"]?.intValue, signed: cookie["signed"]?.boolValue ?? true)
    }

    /// `GET /sso/callback/:providerId`: the code exchanged, the user signed in, 302 to the new-user
    /// URL (a new user) or the callback URL; a failure redirects with `?error=`.
    func finish(_ provider: SSOProvider, _ call: PluginCall) throws -> PluginAnswer {
        let finished: JSONValue
        do {
            finished = try host.call("oauth.finish", [
                "provider": inline(provider), "query": call.envelope["query"] ?? [:],
                "stateCookie": call.cookie(host.cookieName("state")).map(JSONValue.string) ?? .null,
            ])
        } catch let error as PluginError {
            let location = error.detail?["location"]?.stringValue ?? site.baseURL + site.basePath + "/error?error=" + error.code
            return PluginAnswer.status(302).header("location", location)
        }
        let flow = FlowURLs(callbackURL: finished["flow"]?["callbackURL"]?.stringValue ?? site.baseURL,
                            errorCallbackURL: finished["flow"]?["errorURL"]?.stringValue,
                            newUserCallbackURL: finished["flow"]?["newUserURL"]?.stringValue)
        guard finished["flow"]?["additionalData"]?["ssoProviderId"]?.stringValue == provider.providerID else {
            return flow.failure("invalid_state")
        }
        // The account's issuer is the registered one: an OP cannot claim another's (Google's, say).
        guard finished["issuer"]?.stringValue == provider.issuer else { return flow.failure("issuer_mismatch") }
        var profile = finished["profile"]?.objectValue ?? [:]
        if !trustEmailVerified { profile["emailVerified"] = false }
        do {
            let (userID, isNew) = try signIn.signIn(provider, issuer: provider.issuer, profile: .object(profile), tokens: finished["tokens"] ?? [:])
            let target = isNew ? flow.newUserCallbackURL ?? flow.callbackURL : flow.callbackURL
            return PluginAnswer.status(302).header("location", target).signIn(userID: userID)
        } catch let error as PluginError {
            return flow.failure(error.code.lowercased())
        }
    }

    /// Registration refuses an OP URL on loopback or a private address unless its origin is
    /// trusted, without fetching it (`discovery_private_host`).
    func checkEndpoints(issuer: String, _ config: JSONValue) throws {
        for url in [issuer] + Self.endpointKeys.compactMap({ config[$0]?.stringValue }) {
            guard SSOProviders.isHTTPURL(url) else {
                throw PluginError(code: "discovery_invalid_url", message: "OIDC discovery: \(url.prefix(200)) is not an http(s) URL")
            }
            guard try PrivateHosts(host: host).allows(url) else {
                throw PluginError(code: "discovery_private_host",
                                  message: "OIDC discovery: \(url.prefix(200)) is on a private host; add its origin to trustedOrigins")
            }
        }
    }
}

/// IdP URLs on loopback or a private address (an IP literal or `localhost`; a name that resolves
/// to one is caught when the host connects) are accepted only when their origin is trusted.
struct PrivateHosts {
    let host: PluginHost

    func allows(_ url: String) throws -> Bool {
        guard URLComponents(string: url)?.host.map(AddressScope.namesPrivateHost) == true else { return true }
        return try host.call("origins.check", ["url": .string(url)])["trusted"]?.boolValue == true
    }
}
