import Foundation
import GatehouseCrypto

/// What one authorization request carries besides the provider's own settings.
public struct AuthorizationRequest: Sendable {
    public var state: String
    public var codeVerifier: String
    public var redirectURI: String
    /// Scopes asked for in addition to the provider's.
    public var extraScopes: [String] = []
    public var loginHint: String?
    public var nonce: String?
    public var additionalParameters: [(String, String)] = []

    public init(state: String, codeVerifier: String, redirectURI: String) {
        self.state = state
        self.codeVerifier = codeVerifier
        self.redirectURI = redirectURI
    }
}

extension OAuthProvider {
    /// The URL that sends the browser to the provider (RFC 6749 §4.1.1, PKCE S256, OIDC nonce).
    public func authorizationURL(_ request: AuthorizationRequest) throws -> String {
        guard let endpoint = authorizationEndpoint else { throw ProviderFailure("\(id) has no authorization endpoint") }
        var scopes = self.scopes
        for scope in request.extraScopes where !scopes.contains(scope) { scopes.append(scope) }
        var parameters: [(String, String)] = [
            ("response_type", "code"), ("client_id", clientID), ("state", request.state),
            ("redirect_uri", request.redirectURI),
        ]
        if !scopes.isEmpty { parameters.append(("scope", scopes.joined(separator: " "))) }
        if pkce {
            parameters += [("code_challenge", PKCE.challenge(for: request.codeVerifier)), ("code_challenge_method", "S256")]
        }
        if let nonce = request.nonce { parameters.append(("nonce", nonce)) }
        if let loginHint = request.loginHint { parameters.append(("login_hint", loginHint)) }
        if let prompt { parameters.append(("prompt", prompt)) }
        parameters += authorizationParameters
        // Callers' extras never replace the parameters that bind the flow to this request.
        let reserved: Set = ["response_type", "client_id", "state", "redirect_uri", "code_challenge", "code_challenge_method", "nonce"]
        parameters += request.additionalParameters.filter { !reserved.contains($0.0) }
        let query = parameters.map { URIComponent.encode($0.0) + "=" + URIComponent.encode($0.1) }.joined(separator: "&")
        return endpoint + (endpoint.contains("?") ? "&" : "?") + query
    }
}
