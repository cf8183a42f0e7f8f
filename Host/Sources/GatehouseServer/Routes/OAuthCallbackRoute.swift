import GatehouseCrypto
import GatehouseJSON
import GatehouseOAuth

/// `GET|POST /callback/:id`: the provider sends the browser back here. Every failure is a
/// 302 to the error URL with Better Auth's `?error=` code; success sets the session cookies
/// and goes to the flow's callbackURL (newUserCallbackURL for a new user).
enum OAuthCallbackRoute {
    static var endpoints: [Endpoint] { [callback, formPost] }

    static let parameters = BodySchema([
        .init("code", .string), .init("state", .string), .init("error", .string), .init("error_description", .string),
        .init("iss", .string), .init("user", .string), .init("device_id", .string),
    ])

    static let callback = Endpoint(
        .get, "/callback/:id", summary: "OAuth callback: finish the flow and sign in", tag: "Social"
    ) { ctx in
        do {
            return try await finish(ctx)
        } catch let failure as OAuthRedirectError {
            return .redirect(failure.location(defaultURL: ctx.auth.defaultErrorURL))
        }
    }

    /// Providers using `response_mode=form_post` (Apple) POST the answer; the browser is sent
    /// on to the GET form with the same parameters so the `SameSite=Lax` state cookie comes along.
    static let formPost = Endpoint(
        .post, "/callback/:id", acceptsForm: true, body: parameters,
        summary: "OAuth callback (form_post): redirects to the GET form", tag: "Social"
    ) { ctx in
        var merged: [(String, String)] = []
        for (key, value) in ctx.body.objectValue ?? [:] where ctx.query[key] == nil {
            if let text = value.stringValue { merged.append((key, text)) }
        }
        merged += ctx.query.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let query = merged.map { URIComponent.encode($0.0) + "=" + URIComponent.encode($0.1) }.joined(separator: "&")
        return .redirect(ctx.auth.endpointURL("/callback/" + URIComponent.encode(ctx.params["id"] ?? "")) + (query.isEmpty ? "" : "?" + query))
    }

    private static func finish(_ ctx: EndpointContext) async throws -> APIResponse {
        let auth = ctx.auth
        let query = ctx.query
        guard let state = query["state"], !state.isEmpty else { throw OAuthRedirectError("state_not_found") }
        let flow = try await OAuthStateStore.finish(ctx, state: state)
        let errorURL = flow.errorURL
        if let error = query["error"] {
            throw OAuthRedirectError(error, description: query["error_description"], errorURL: errorURL)
        }
        guard let code = query["code"], !code.isEmpty else { throw OAuthRedirectError("no_code", errorURL: errorURL) }
        let providerID = ctx.params["id"] ?? ""
        guard let provider = try? await auth.socialProviders.resolved(providerID) else {
            throw OAuthRedirectError("oauth_provider_not_found", errorURL: errorURL)
        }
        // RFC 9207: a provider that names itself must be the one we asked.
        if let iss = query["iss"], !provider.idTokenIssuers.isEmpty, !provider.idTokenIssuers.contains(iss) {
            throw OAuthRedirectError("issuer_mismatch", errorURL: errorURL)
        }
        let redirectURI = flow.redirectURI ?? provider.redirectURI ?? auth.endpointURL("/callback/" + provider.id)
        let tokens: OAuthTokens
        do { tokens = try await provider.exchange(code: code, codeVerifier: flow.codeVerifier, redirectURI: redirectURI) } catch {
            auth.logger.warning("authorization code exchange failed", metadata: ["provider": "\(provider.id)", "error": "\(error)"])
            throw OAuthRedirectError("invalid_code", errorURL: errorURL)
        }
        let identity = try await identity(ctx, provider, tokens, flow: flow)
        guard !flow.callbackURL.isEmpty else { throw OAuthRedirectError("no_callback_url", errorURL: errorURL) }

        if let link = flow.link {
            try await AccountLinking(ctx: ctx).linkFromCallback(identity, email: link.email, userID: link.userID, errorURL: errorURL)
            return .redirect(flow.callbackURL)
        }
        guard identity.email != nil else { throw OAuthRedirectError("email_not_found", errorURL: errorURL) }
        let disableSignUp = (provider.disableImplicitSignUp && flow.requestSignUp != true) || provider.disableSignUp
        switch try await OAuthSignIn(ctx: ctx).run(identity, disableSignUp: disableSignUp, callbackURL: flow.callbackURL) {
        case .refused(let reason):
            throw OAuthRedirectError(reason.replacingOccurrences(of: " ", with: "_"), errorURL: errorURL)
        case .signedIn(let user, let isRegister):
            try await auth.sessions.signIn(ctx, user: user)
            return .redirect(isRegister ? flow.newUserURL ?? flow.callbackURL : flow.callbackURL)
        }
    }

    /// The user behind the tokens: the ID token is verified (signature, issuer, audience,
    /// and the nonce this flow sent) before its claims are believed.
    private static func identity(_ ctx: EndpointContext, _ provider: OAuthProvider, _ tokens: OAuthTokens, flow: OAuthState) async throws -> ProviderIdentity {
        var claims: JSONValue?
        if let idToken = tokens.idToken, provider.jwksURI != nil {
            do { claims = try await provider.verifyIDToken(idToken, nonce: flow.idTokenNonce) } catch {
                ctx.auth.logger.warning("ID token from the token endpoint refused", metadata: ["provider": "\(provider.id)", "reason": "\(error)"])
                throw OAuthRedirectError("unable_to_get_user_info", description: "invalid id_token", errorURL: flow.errorURL)
            }
        } else if flow.idTokenNonce != nil {
            // We sent a nonce, so the provider must answer with an ID token bound to it.
            ctx.auth.logger.warning("provider returned no ID token", metadata: ["provider": "\(provider.id)"])
            throw OAuthRedirectError("unable_to_get_user_info", description: "missing id_token", errorURL: flow.errorURL)
        }
        let callbackUser = ctx.query["user"].flatMap { try? JSONValue.parse(Array($0.utf8)) }
        do {
            let profile = try await provider.fetchProfile(tokens: tokens, idTokenClaims: claims, callbackUser: callbackUser)
            return ProviderIdentity(provider: provider, profile: profile, tokens: tokens)
        } catch {
            ctx.auth.logger.warning("provider profile unavailable", metadata: ["provider": "\(provider.id)", "error": "\(error)"])
            throw OAuthRedirectError("unable_to_get_user_info", errorURL: flow.errorURL)
        }
    }
}
