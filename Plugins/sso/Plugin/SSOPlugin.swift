import Foundation
import GatehouseJSON
import PluginKit

/// Single sign-on through a company's own identity provider, with Better Auth 1.7's
/// `@better-auth/sso` routes: SAML 2.0 (this plugin is the service provider; signatures checked
/// with xmlsec1, identity read from the signed element only). In progress (issue 17): provider
/// registration, SP-initiated and IdP-initiated SAML sign-in and the SP metadata are here; OIDC
/// providers, provider management routes and organization provisioning are not yet.
struct SSOPlugin: GatehousePlugin {
    static let id = "sso"
    static let version = "0.1.0"
    static let name = "SSO"
    static let manifest = SSOManifest.json

    let host: PluginHost
    let providers: SSOProviders
    let saml: SAMLFlow
    let signIn: SSOSignIn

    init(host: PluginHost, settings json: JSONValue) throws {
        let settings = try SSOSettings(json)
        let info = try host.call("host.info", [:])
        let site = Site(baseURL: info["baseURL"]?.stringValue ?? "", basePath: info["basePath"]?.stringValue ?? "")
        let db = PluginDatabase(host: host)
        self.host = host
        providers = SSOProviders(db: db)
        saml = SAMLFlow(host: host, db: db, settings: settings, site: site)
        signIn = SSOSignIn(host: host)
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
            case nil: break
            }
        default:
            break
        }
        return .error(status: 404, code: "NOT_FOUND", message: "Not found")
    }

    private func register(_ call: PluginCall) throws -> PluginAnswer {
        guard let userID = call.session?["user"]?["id"]?.stringValue else {
            throw PluginError(status: 401, code: "UNAUTHORIZED", message: "Unauthorized")
        }
        if call.body["oidcConfig"]?.nonNull != nil {
            throw PluginError(code: "OIDC_NOT_AVAILABLE", message: "OIDC providers are not available yet; register a SAML provider")
        }
        if call.body["organizationId"]?.nonNull != nil {
            throw PluginError(code: "ORGANIZATION_PROVIDERS_NOT_AVAILABLE", message: "Organization providers are not available yet")
        }
        return .json(try providers.register(call.body, userID: userID).output)
    }

    /// `POST /sign-in/sso {email | domain | providerId, callbackURL, errorCallbackURL?, newUserCallbackURL?}`.
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
        } else {
            throw PluginError(code: "VALIDATION_ERROR", message: "Give providerId, email or domain to choose the provider")
        }
        guard let provider = chosen else {
            throw PluginError(status: 404, code: "PROVIDER_NOT_FOUND", message: "No SSO provider matches")
        }
        return try saml.start(provider, flow: flow)
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
