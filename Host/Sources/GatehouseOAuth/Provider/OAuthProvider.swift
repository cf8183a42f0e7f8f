import Foundation
import GatehouseJSON

/// One identity provider users sign in with: where it lives, how the client authenticates,
/// what it asks for, and how its profile becomes a user. Built-in providers fill this from
/// their catalogue entry; a generic OpenID provider from its discovery document.
public struct OAuthProvider: Sendable {
    public enum ClientAuthentication: String, Sendable {
        case basic = "client_secret_basic"
        case post = "client_secret_post"
    }

    public let id: String
    public var clientID: String
    public var clientSecret: ClientSecret
    public var authorizationEndpoint: String?
    public var tokenEndpoint: String?
    public var userInfoEndpoint: String?
    public var jwksURI: String?
    public var discoveryURL: String?
    /// `iss` values its ID tokens may carry.
    public var idTokenIssuers: [String] = []
    /// The `account.issuer` of its accounts when the provider declares one (Better Auth
    /// 1.7's account key); otherwise `local:oauth:<id>`.
    public var accountIssuer: String?
    public var scopes: [String]
    public var pkce = true
    /// nil: from the discovery document's supported methods, else `client_secret_post`
    /// (Better Auth's default).
    public var clientAuthentication: ClientAuthentication?
    /// Fixed extra authorization parameters (e.g. Apple's `response_mode=form_post`).
    public var authorizationParameters: [(String, String)] = []
    public var profile: ProfileMapping
    /// Extra `aud` values accepted in ID tokens besides the client id (Apple's bundle id).
    public var extraAudiences: [String] = []
    /// Whether `sign-in/social` accepts this provider's ID tokens.
    public var supportsIDToken: Bool
    /// Overrides `{baseURL}{basePath}/callback/<id>`.
    public var redirectURI: String?
    public var prompt: String?
    public var disableSignUp = false
    public var disableImplicitSignUp = false
    public var overrideUserInfoOnSignIn = false

    public init(id: String, clientID: String, clientSecret: ClientSecret, scopes: [String], profile: ProfileMapping, supportsIDToken: Bool) {
        self.id = id
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = scopes
        self.profile = profile
        self.supportsIDToken = supportsIDToken
    }

    /// Whether the provider speaks OpenID Connect (sends ID tokens, wants a nonce).
    public var isOpenID: Bool { scopes.contains("openid") }

    /// Whether a flow sends a nonce: only where the ID token will be checked against it.
    public var bindsNonce: Bool { isOpenID && jwksURI != nil }

    /// Whether a sign-in that finds no user must not create one.
    public func refusesSignUp(requestSignUp: Bool) -> Bool {
        (disableImplicitSignUp && !requestSignUp) || disableSignUp
    }

    /// The issuer recorded on its accounts.
    public var issuerForAccounts: String { accountIssuer ?? "local:oauth:" + id }

    /// Endpoints missing from the configuration come from the discovery document, if any;
    /// explicitly configured ones win.
    public func resolved(discovery: OIDCDiscovery = .shared) async throws -> OAuthProvider {
        guard let discoveryURL else { return self }
        let document = try await discovery.document(at: discoveryURL)
        var provider = self
        provider.authorizationEndpoint = authorizationEndpoint ?? document.authorizationEndpoint
        provider.tokenEndpoint = tokenEndpoint ?? document.tokenEndpoint
        provider.userInfoEndpoint = userInfoEndpoint ?? document.userInfoEndpoint
        provider.jwksURI = jwksURI ?? document.jwksURI
        if provider.idTokenIssuers.isEmpty { provider.idTokenIssuers = [document.issuer] }
        provider.accountIssuer = accountIssuer ?? document.issuer
        if clientAuthentication == nil {
            // OpenID Connect Discovery: an absent list means client_secret_basic only.
            let methods = document.tokenEndpointAuthMethods
            provider.clientAuthentication = methods.contains("client_secret_post") ? .post : methods.isEmpty || methods.contains("client_secret_basic") ? .basic : .post
        }
        return provider
    }
}

/// How the client proves itself at the token endpoint.
public enum ClientSecret: Sendable {
    case none
    case fixed(String)
    /// Apple: a short-lived ES256 JWT signed with the team's private key, made per request.
    case appleJWT(AppleClientSecret)

    func value(clientID: String) async throws -> String? {
        switch self {
        case .none: nil
        case .fixed(let secret): secret
        case .appleJWT(let key): try await key.make(clientID: clientID)
        }
    }
}
