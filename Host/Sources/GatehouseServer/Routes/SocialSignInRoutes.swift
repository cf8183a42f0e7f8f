import Foundation
import GatehouseJSON
import GatehouseOAuth
import GatehouseStorage

/// `POST /sign-in/social` and `POST /link-social`: start an authorization-code flow (PKCE,
/// state, OIDC nonce) or sign in / link directly with an ID token from a mobile SDK.
enum SocialSignInRoutes {
    static var endpoints: [Endpoint] { [signIn, linkSocial] }

    static let idTokenSchema = "{token, nonce?, accessToken?, refreshToken?, expiresAt?, user?}"

    static let signIn = Endpoint(
        .post, "/sign-in/social",
        body: BodySchema([
            .init("provider", .string, required: true), .init("callbackURL", .string), .init("newUserCallbackURL", .string),
            .init("errorCallbackURL", .string), .init("disableRedirect", .boolean),
            .init("idToken", .object, description: idTokenSchema), .init("scopes", .array), .init("requestSignUp", .boolean),
            .init("loginHint", .string), .init("additionalParams", .object), .init("additionalData", .object),
        ]),
        summary: "Sign in with a social provider (redirect or ID token)", tag: "Social", statuses: [.unauthorized, .notFound, .badGateway]
    ) { ctx in
        let provider = try await SocialFlow.provider(ctx)
        let disableSignUp = provider.refusesSignUp(requestSignUp: ctx.bodyBool("requestSignUp") == true)
        if let idToken = ctx.body["idToken"], !idToken.isNull {
            let identity = try await SocialFlow.verifiedIdentity(ctx, provider, idToken)
            guard identity.email != nil else { throw CoreErrors.error("USER_EMAIL_NOT_FOUND", .unauthorized) }
            switch try await OAuthSignIn(auth: ctx.auth).run(identity, disableSignUp: disableSignUp, callbackURL: ctx.bodyString("callbackURL")) {
            case .refused(let reason):
                throw APIError(.unauthorized, "OAUTH_LINK_ERROR", reason)
            case .signedIn(let user, _):
                return try await SocialFlow.signIn(ctx, user)
            }
        }
        var flow = OAuthState(callbackURL: ctx.bodyString("callbackURL") ?? ctx.auth.config.baseURL)
        flow.errorURL = ctx.bodyString("errorCallbackURL")
        flow.newUserURL = ctx.bodyString("newUserCallbackURL")
        flow.requestSignUp = ctx.bodyBool("requestSignUp")
        return try await SocialFlow.redirect(ctx, provider, flow)
    }

    static let linkSocial = Endpoint(
        .post, "/link-social", auth: .session,
        body: BodySchema([
            .init("provider", .string, required: true), .init("callbackURL", .string), .init("errorCallbackURL", .string),
            .init("disableRedirect", .boolean), .init("idToken", .object, description: idTokenSchema), .init("scopes", .array),
            .init("requestSignUp", .boolean), .init("loginHint", .string), .init("additionalParams", .object),
            .init("additionalData", .object),
        ]),
        summary: "Link a social account to the signed-in user", tag: "Social", statuses: [.notFound, .badGateway]
    ) { ctx in
        let session = try await ctx.requireSession()
        let provider = try await SocialFlow.provider(ctx)
        if let idToken = ctx.body["idToken"], !idToken.isNull {
            let identity = try await SocialFlow.verifiedIdentity(ctx, provider, idToken)
            guard identity.email != nil else { throw CoreErrors.error("USER_EMAIL_NOT_FOUND", .unauthorized) }
            try await AccountLinking(auth: ctx.auth).linkWithIDToken(identity, to: session.user)
            return .json(["url": "", "status": true, "redirect": false])
        }
        var flow = OAuthState(callbackURL: ctx.bodyString("callbackURL") ?? ctx.auth.config.baseURL)
        flow.errorURL = ctx.bodyString("errorCallbackURL")
        flow.requestSignUp = ctx.bodyBool("requestSignUp")
        flow.link = (session.user.string("email") ?? "", session.userID)
        return try await SocialFlow.redirect(ctx, provider, flow)
    }
}

/// The steps sign-in, link-social and the native app routes (`AppSocialSignInRoutes`) share.
enum SocialFlow {
    /// The configured provider named in the body (404 `PROVIDER_NOT_FOUND`), with discovery done.
    static func provider(_ ctx: EndpointContext) async throws -> OAuthProvider {
        try await provider(ctx, id: ctx.bodyString("provider") ?? "")
    }

    /// The configured provider `id` (404 `PROVIDER_NOT_FOUND`), with discovery done.
    static func provider(_ ctx: EndpointContext, id: String) async throws -> OAuthProvider {
        do {
            guard let provider = try await ctx.auth.socialProviders.resolved(id) else {
                throw CoreErrors.error("PROVIDER_NOT_FOUND", .notFound)
            }
            return provider
        } catch let failure as ProviderFailure {
            ctx.auth.logger.warning("provider discovery failed", metadata: ["provider": "\(id)", "error": "\(failure)"])
            throw APIError(.badGateway, "PROVIDER_UNAVAILABLE", "The identity provider could not be reached")
        }
    }

    /// Stores the flow and answers `{url, redirect}` (with `Location` unless `disableRedirect`).
    static func redirect(_ ctx: EndpointContext, _ provider: OAuthProvider, _ flow: OAuthState) async throws -> APIResponse {
        let url = try await authorizationURL(ctx, provider, flow, options: ctx.body)
        let redirect = ctx.bodyBool("disableRedirect") != true
        var response = APIResponse.json(["url": .string(url), "redirect": .bool(redirect)])
        if redirect { response.headers[.location] = url }
        return response
    }

    /// Stores the flow, binds it to this browser with the `state` cookie and returns the
    /// provider's authorization URL. `options` as `OAuthCodeFlow.start` reads them.
    static func authorizationURL(_ ctx: EndpointContext, _ provider: OAuthProvider, _ flow: OAuthState, options: JSONValue) async throws -> String {
        do {
            let started = try await OAuthCodeFlow.start(ctx.auth, provider, flow, options: options)
            OAuthStateStore.setCookie(ctx, state: started.state)
            return started.url
        } catch is ProviderFailure {
            throw APIError(.badGateway, "PROVIDER_UNAVAILABLE", "The identity provider has no authorization endpoint")
        }
    }

    /// Signs `user` in as sign-in/email does and answers `{redirect: false, token, user}`.
    static func signIn(_ ctx: EndpointContext, _ user: Record) async throws -> APIResponse {
        let session = try await ctx.auth.sessions.signIn(ctx, user: user)
        return .json(["redirect": false, "token": .string(session.token), "user": ctx.auth.output("user", user)])
    }

    /// An ID token from the body, verified against the provider's keys, as an identity.
    static func verifiedIdentity(_ ctx: EndpointContext, _ provider: OAuthProvider, _ idToken: JSONValue) async throws -> ProviderIdentity {
        guard provider.supportsIDToken, provider.jwksURI != nil else { throw CoreErrors.error("ID_TOKEN_NOT_SUPPORTED", .notFound) }
        guard let token = idToken["token"]?.stringValue else {
            throw APIError(.badRequest, "VALIDATION_ERROR", "[body.idToken.token] Invalid input: expected string, received \(idToken["token"]?.typeName ?? "undefined")")
        }
        let claims: JSONValue
        do { claims = try await provider.verifyIDToken(token, nonce: idToken["nonce"]?.stringValue) } catch {
            ctx.auth.logger.info("ID token refused", metadata: ["provider": "\(provider.id)", "reason": "\(error)"])
            throw CoreErrors.error("INVALID_TOKEN", .unauthorized)
        }
        let expiresAt = idToken["expiresAt"]?.doubleValue.map { Date(timeIntervalSince1970: $0 / 1000) }
        let tokens = OAuthTokens(accessToken: idToken["accessToken"]?.stringValue, refreshToken: idToken["refreshToken"]?.stringValue,
                                 idToken: token, accessTokenExpiresAt: expiresAt)
        do {
            let profile = try await provider.fetchProfile(tokens: tokens, idTokenClaims: claims, callbackUser: idToken["user"])
            return ProviderIdentity(provider: provider, profile: profile, tokens: tokens)
        } catch {
            ctx.auth.logger.info("provider profile unavailable", metadata: ["provider": "\(provider.id)", "error": "\(error)"])
            throw CoreErrors.error("FAILED_TO_GET_USER_INFO", .unauthorized)
        }
    }
}
