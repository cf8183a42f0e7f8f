import GatehouseCrypto
import GatehouseJSON
import GatehouseOAuth

/// An authorization-code flow, shared by the core routes and plugins (through the host API).
/// Start: store the flow (PKCE verifier, nonce) and build the authorization URL. Finish:
/// provider errors, the code exchange with the verifier, the ID token checked against the
/// nonce, and the profile; failures are `OAuthRedirectError`s carrying the flow's error URL.
enum OAuthCodeFlow {
    /// Stores `flow` and returns the provider's authorization URL and the `state`. `options`
    /// holds the request's `scopes`, `loginHint`, `additionalParams` and `additionalData`.
    /// Throws `ProviderFailure` when the provider has no authorization endpoint.
    static func start(_ auth: AuthContext, _ provider: OAuthProvider, _ flow: OAuthState, options: JSONValue) async throws -> (url: String, state: String) {
        var flow = flow
        flow.additionalData = options["additionalData"]?.nonNull
        if flow.redirectURI == nil { flow.redirectURI = auth.redirectURI(for: provider) }
        if provider.bindsNonce { flow.idTokenNonce = RandomIdentifier.generate(length: 32) }
        let state = try await OAuthStateStore.store(auth, flow)
        var request = AuthorizationRequest(state: state, codeVerifier: flow.codeVerifier, redirectURI: flow.redirectURI ?? "")
        request.extraScopes = options["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        request.loginHint = options["loginHint"]?.stringValue
        request.nonce = flow.idTokenNonce
        request.additionalParameters = (options["additionalParams"]?.objectValue ?? [:]).compactMap { key, value in
            (value.stringValue ?? (value.isNull ? nil : value.serialized())).map { (key, $0) }
        }
        return (try provider.authorizationURL(request), state)
    }

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
        let redirectURI = flow.redirectURI ?? auth.redirectURI(for: provider)
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
