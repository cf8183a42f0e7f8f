import GatehouseJSON
import PluginKit

/// Better Auth 1.7.1's `@better-auth/oauth-provider`: Gatehouse as an OAuth 2.1 authorization
/// server and OpenID Provider. Authorization code with PKCE S256, refresh tokens (rotated,
/// replay revokes the family), client credentials, UserInfo, introspection, revocation,
/// RP-initiated logout and dynamic registration. ID tokens are signed by the jwt plugin's keys.
struct OAuthProviderPlugin: GatehousePlugin {
    static let id = "oauth-provider"
    static let version = "1.0.0"
    static let name = "OAuth 2.1 and OpenID Provider"
    static let manifest = OAuthProviderManifest.json

    let host: PluginHost
    let signedQuery: SignedQuery
    let authorizer: Authorizer
    let tokenEndpoint: TokenEndpoint
    let inspection: TokenInspection
    let userInfo: UserInfoEndpoint
    let endSession: EndSessionEndpoint
    let registration: ClientRegistration
    let discovery: Discovery
    let idTokens: IDTokens

    init(host: PluginHost, settings json: JSONValue) throws {
        self.host = host
        let settings = try OAuthProviderSettings(json, hashSecret: host.hashedKey)
        let info = try host.call("host.info", [:])
        let issuer = (info["baseURL"]?.stringValue ?? "") + (info["basePath"]?.stringValue ?? "")
        let clients = ClientRegistry(host: host, configured: settings.clients)
        let codes = AuthorizationCodes(host: host, lifetime: settings.codeExpiresIn)
        let tokens = TokenStore(host: host, accessLifetime: settings.accessTokenExpiresIn, refreshLifetime: settings.refreshTokenExpiresIn)
        idTokens = IDTokens(host: host, issuer: issuer, lifetime: settings.idTokenExpiresIn)
        signedQuery = SignedQuery(host: host, lifetime: settings.codeExpiresIn)
        authorizer = Authorizer(settings: settings, clients: clients, codes: codes, consents: ConsentStore(host: host), signedQuery: signedQuery,
                                issuer: issuer, errorPage: issuer + "/error")
        tokenEndpoint = TokenEndpoint(clients: clients, codes: codes, tokens: tokens, idTokens: idTokens, host: host)
        inspection = TokenInspection(clients: clients, tokens: tokens, issuer: issuer)
        userInfo = UserInfoEndpoint(tokens: tokens, host: host)
        endSession = EndSessionEndpoint(clients: clients, idTokens: idTokens, tokens: tokens, host: host)
        registration = ClientRegistration(settings: settings, host: host)
        discovery = Discovery(settings: settings, issuer: issuer)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        do {
            switch call.kind {
            case .endpoint(let index): return try endpoint(OAuthProviderManifest.Endpoint(rawValue: index), call)
            case .beforeHook: return try checkSignedQuery(call)
            case .afterHook: return try continueAfterSignIn(call)
            default: return .error(status: 404, code: "NOT_FOUND", message: "Not found")
            }
        } catch let failure as OAuthFailure {
            return failure.answer
        }
    }

    private func endpoint(_ endpoint: OAuthProviderManifest.Endpoint?, _ call: PluginCall) throws -> PluginAnswer {
        switch endpoint {
        case .openIDConfiguration, .authorizationServerMetadata, .authorizationServerMetadataAtRoot:
            return .json(discovery.document(signingAlgorithm: try idTokens.algorithm())).header("cache-control", "public, max-age=300")
        case .authorizeGet, .authorizePost:
            let parameters = Self.pairs(endpoint == .authorizeGet ? call.envelope["query"] : call.body)
            return .status(302).header("location", try authorizer.authorize(parameters, session: try host.session(of: call)))
        case .consent:
            guard let session = call.session else { return .error(status: 401, code: "UNAUTHORIZED", message: "Unauthorized") }
            guard let query = call.body["oauth_query"]?.stringValue, let parameters = signedQuery.verify(query) else { throw Self.forgedQuery }
            let url = try authorizer.consent(parameters, accept: call.body["accept"]?.boolValue ?? false,
                                             scope: call.body["scope"]?.stringValue, session: session)
            return .json(["redirect": true, "url": .string(url)])
        case .token: return try tokenEndpoint.handle(Self.form(call.body), call: call)
        case .userInfoGet, .userInfoPost: return try userInfo.handle(call)
        case .introspect: return try inspection.introspect(Self.form(call.body), call: call)
        case .revoke: return try inspection.revoke(Self.form(call.body), call: call)
        case .endSessionGet: return try endSession.handle(Self.form(call.envelope["query"]), call: call)
        case .endSessionPost: return try endSession.handle(Self.form(call.body), call: call)
        case .register: return try registration.handle(call)
        case nil: return .error(status: 404, code: "NOT_FOUND", message: "Not found")
        }
    }

    /// Before a sign-in that carries `oauth_query`: refuse an altered or expired one outright.
    private func checkSignedQuery(_ call: PluginCall) throws -> PluginAnswer {
        guard let query = call.body["oauth_query"]?.nonNull else { return .proceed }
        guard let text = query.stringValue, signedQuery.verify(text) != nil else { return Self.forgedQuery.answer.respond() }
        return .proceed
    }

    /// After that sign-in: go on with the authorization as the new session, answering
    /// `{redirect: true, url}` (the session cookies stay on the answer).
    private func continueAfterSignIn(_ call: PluginCall) throws -> PluginAnswer {
        guard let query = call.body["oauth_query"]?.stringValue, let session = call.newSession,
              let parameters = signedQuery.verify(query)
        else { return .keep }
        // The user just signed in: a `prompt=login` is satisfied.
        let continued = parameters.map { pair -> (name: String, value: String) in
            pair.name == "prompt" ? (pair.name, pair.value.split(separator: " ").filter { $0 != "login" }.joined(separator: " ")) : pair
        }
        let url = try authorizer.authorize(continued, session: session)
        return PluginAnswer.json(["redirect": true, "url": .string(url)]).replace()
    }

    static let forgedQuery = OAuthFailure(error: "invalid_signature", description: "oauth_query was altered or has expired")

    /// Form or query members that are strings (the host hands form fields over as strings; a
    /// JSON body's other values are ignored), in order.
    private static func pairs(_ json: JSONValue?) -> Authorizer.Parameters {
        (json?.objectValue ?? [:]).compactMap { name, value in value.stringValue.map { (name, $0) } }
    }

    private static func form(_ json: JSONValue?) -> [String: String] {
        Dictionary(pairs(json), uniquingKeysWith: { first, _ in first })
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: OAuthProviderPlugin.self) }
