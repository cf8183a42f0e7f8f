import Foundation
import GatehouseJSON
import PluginKit

/// Single sign-on through a company's own identity provider, with Better Auth 1.7's
/// `@better-auth/sso` routes: SAML 2.0 (this plugin is the service provider; signatures checked
/// with xmlsec1, identity read from the signed element only) and OIDC (the host's OAuth client).
/// Providers belong to the user who registered them, or to an organization (its owners and admins
/// manage them, and its new SSO users become members), read through the organization plugin's
/// services.
struct SSOPlugin: GatehousePlugin {
    static let id = "sso"
    static let version = "0.1.0"
    static let name = "SSO"
    static let manifest = SSOManifest.json

    let host: PluginHost
    let providers: SSOProviders
    let saml: SAMLFlow
    let oidc: OIDCFlow
    let signIn: SSOSignIn
    let organizations: OrganizationLink
    let routes: ProviderRoutes

    init(host: PluginHost, settings json: JSONValue) throws {
        let settings = try SSOSettings(json)
        let info = try host.call("host.info", [:])
        let site = Site(baseURL: info["baseURL"]?.stringValue ?? "", basePath: info["basePath"]?.stringValue ?? "")
        let db = PluginDatabase(host: host)
        self.host = host
        let organizations = OrganizationLink(host: host, defaultRole: settings.defaultRole)
        let signIn = SSOSignIn(host: host, organizations: organizations)
        let oidc = OIDCFlow(host: host, site: site, signIn: signIn, trustEmailVerified: settings.trustEmailVerified)
        let providers = SSOProviders(host: host, db: db, organizations: organizations, privateHosts: PrivateHosts(host: host)) { issuer, config in
            try oidc.checkEndpoints(issuer: issuer, config)
        }
        self.oidc = oidc
        self.organizations = organizations
        self.providers = providers
        self.signIn = signIn
        saml = SAMLFlow(host: host, db: db, settings: settings, site: site)
        routes = ProviderRoutes(providers: providers, organizations: organizations, site: site)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        switch call.kind {
        case .job:
            return .result(["purged": .int(try saml.purge())])
        case .endpoint(let index):
            switch SSOManifest.Route(rawValue: index) {
            case .register: return try register(call)
            case .signIn: return try startSignIn(call)
            case .acs: return try saml.consume(try provider(call.param("providerId")), form: call.body, signIn: signIn)
            case .metadata: return saml.metadata(try provider(call.query("providerId")))
            case .callback: return try oidc.finish(try provider(call.param("providerId")), call)
            case .providers: return try routes.list(userID: try Self.caller(call))
            case .getProvider: return try routes.get(call.query("providerId"), userID: try Self.caller(call))
            case .updateProvider: return try routes.update(call.body, userID: try Self.caller(call))
            case .deleteProvider: return try routes.delete(call.body, userID: try Self.caller(call))
            case nil: break
            }
        default:
            break
        }
        return .error(status: 404, code: "NOT_FOUND", message: "Not found")
    }

    private func register(_ call: PluginCall) throws -> PluginAnswer {
        .json(try providers.register(call.body, userID: try Self.caller(call)).output)
    }

    private static func caller(_ call: PluginCall) throws -> String {
        guard let userID = call.session?["user"]?["id"]?.stringValue else {
            throw PluginError(status: 401, code: "UNAUTHORIZED", message: "Unauthorized")
        }
        return userID
    }

    /// `POST /sign-in/sso {email | domain | providerId | organizationSlug, callbackURL, errorCallbackURL?, newUserCallbackURL?}`.
    private func startSignIn(_ call: PluginCall) throws -> PluginAnswer {
        let body = call.body
        guard let callbackURL = body["callbackURL"]?.stringValue else {
            throw PluginError(code: "VALIDATION_ERROR", message: "callbackURL is required")
        }
        let flow = FlowURLs(callbackURL: callbackURL, errorCallbackURL: body["errorCallbackURL"]?.stringValue,
                            newUserCallbackURL: body["newUserCallbackURL"]?.stringValue)
        let chosen: SSOProvider?
        if let providerID = body["providerId"]?.stringValue {
            chosen = try providers.find(providerID: providerID)
        } else if let email = body["email"]?.stringValue {
            chosen = try providers.all().first { $0.serves(email: email) }
        } else if let domain = body["domain"]?.stringValue {
            chosen = try providers.all().first { $0.serves(email: "@" + domain) }
        } else if let slug = body["organizationSlug"]?.stringValue {
            let organizationID = organizations.organizationID(slug: slug)
            chosen = try organizationID.flatMap { id in try providers.all().first { $0.organizationID == id } }
        } else {
            throw PluginError(code: "VALIDATION_ERROR", message: "email, organizationSlug, domain or providerId is required")
        }
        guard let provider = chosen else {
            throw PluginError(status: 404, code: "PROVIDER_NOT_FOUND", message: "No SSO provider matches")
        }
        return provider.saml != nil ? try saml.start(provider, flow: flow) : try oidc.start(provider, flow: flow)
    }

    private func provider(_ providerID: String?) throws -> SSOProvider {
        guard let providerID, let provider = try providers.find(providerID: providerID) else {
            throw PluginError(status: 404, code: "PROVIDER_NOT_FOUND", message: "No SSO provider matches")
        }
        return provider
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: SSOPlugin.self) }
