import Foundation
import GatehouseCrypto

extension OAuthProvider {
    /// Exchanges an authorization code (RFC 6749 §4.1.3) with the PKCE verifier.
    public func exchange(code: String, codeVerifier: String?, redirectURI: String) async throws -> OAuthTokens {
        var form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI)]
        if pkce, let codeVerifier { form.append(("code_verifier", codeVerifier)) }
        return try await tokenRequest(form)
    }

    /// Uses a refresh token (RFC 6749 §6). Providers that do not rotate refresh tokens
    /// answer without one; the caller keeps the old one then.
    public func refresh(refreshToken: String) async throws -> OAuthTokens {
        try await tokenRequest([("grant_type", "refresh_token"), ("refresh_token", refreshToken)])
    }

    private func tokenRequest(_ form: [(String, String)]) async throws -> OAuthTokens {
        guard let endpoint = tokenEndpoint else { throw ProviderFailure("\(id) has no token endpoint") }
        var form = form
        var headers: [(String, String)] = []
        let secret = try await clientSecret.value(clientID: clientID)
        switch (clientAuthentication ?? .post, secret) {
        case (.basic, let secret?):
            // RFC 6749 §2.3.1: both parts form-encoded before Base64.
            let pair = URIComponent.encode(clientID) + ":" + URIComponent.encode(secret)
            headers.append(("Authorization", "Basic " + Base64.standard(Array(pair.utf8))))
        case (.post, let secret?):
            form += [("client_id", clientID), ("client_secret", secret)]
        case (_, nil):
            form.append(("client_id", clientID))
        }
        let answer = try await ProviderHTTP.postForm(endpoint, form: form, headers: headers)
        guard answer.status == 200, let body = answer.body, body["error"] == nil else {
            let error = answer.body?["error"]?.stringValue
            let detail = answer.body?["error_description"]?.stringValue ?? error ?? "status \(answer.status)"
            throw ProviderFailure("token endpoint of \(id) refused: \(detail)", oauthError: error ?? "invalid_response")
        }
        let tokens = OAuthTokens(response: body)
        guard tokens.accessToken != nil || tokens.idToken != nil else {
            throw ProviderFailure("token endpoint of \(id) returned no token", oauthError: "invalid_response")
        }
        return tokens
    }
}
