import GatehouseJSON
import GatehouseOAuth

/// The second half of an authorization-code flow, shared by the core callback and plugins
/// (through the host API): provider errors, the code exchange (with the PKCE verifier), the
/// ID token checked against the nonce the flow sent, and the profile. Failures are
/// `OAuthRedirectError`s carrying the flow's error URL.
enum OAuthCodeFlow {
    /// The `code` from the callback parameters, or the provider's own error.
    static func code(_ query: [String: String], _ flow: OAuthState) throws -> String {
        if let error = query["error"] {
            throw OAuthRedirectError(error, description: query["error_description"], errorURL: flow.errorURL)
        }
        guard let code = query["code"], !code.isEmpty else { throw OAuthRedirectError("no_code", errorURL: flow.errorURL) }
        return code
    }

    static func identity(_ auth: AuthContext, _ provider: OAuthProvider, code: String, query: [String: String], flow: OAuthState) async throws -> ProviderIdentity {
        // RFC 9207: a provider that names itself must be the one we asked.
        if let iss = query["iss"], !provider.idTokenIssuers.isEmpty, !provider.idTokenIssuers.contains(iss) {
            throw OAuthRedirectError("issuer_mismatch", errorURL: flow.errorURL)
        }
        let redirectURI = flow.redirectURI ?? provider.redirectURI ?? auth.endpointURL("/callback/" + provider.id)
        let tokens: OAuthTokens
        do { tokens = try await provider.exchange(code: code, codeVerifier: flow.codeVerifier, redirectURI: redirectURI) } catch {
            auth.logger.warning("authorization code exchange failed", metadata: ["provider": "\(provider.id)", "error": "\(error)"])
            throw OAuthRedirectError("invalid_code", errorURL: flow.errorURL)
        }
        var claims: JSONValue?
        if let idToken = tokens.idToken, provider.jwksURI != nil {
            do { claims = try await provider.verifyIDToken(idToken, nonce: flow.idTokenNonce) } catch {
                auth.logger.warning("ID token from the token endpoint refused", metadata: ["provider": "\(provider.id)", "reason": "\(error)"])
                throw OAuthRedirectError("unable_to_get_user_info", description: "invalid id_token", errorURL: flow.errorURL)
            }
        } else if flow.idTokenNonce != nil {
            // We sent a nonce, so the provider must answer with an ID token bound to it.
            auth.logger.warning("provider returned no ID token", metadata: ["provider": "\(provider.id)"])
            throw OAuthRedirectError("unable_to_get_user_info", description: "missing id_token", errorURL: flow.errorURL)
        }
        let callbackUser = query["user"].flatMap { try? JSONValue.parse(Array($0.utf8)) }
        do {
            let profile = try await provider.fetchProfile(tokens: tokens, idTokenClaims: claims, callbackUser: callbackUser)
            return ProviderIdentity(provider: provider, profile: profile, tokens: tokens)
        } catch {
            auth.logger.warning("provider profile unavailable", metadata: ["provider": "\(provider.id)", "error": "\(error)"])
            throw OAuthRedirectError("unable_to_get_user_info", errorURL: flow.errorURL)
        }
    }
}
