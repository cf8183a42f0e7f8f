import GatehouseCrypto
import GatehouseStorage

/// `GET|POST /callback/:id`: the provider sends the browser back here. Every failure is a
/// 302 to the error URL with Better Auth's `?error=` code; success sets the session cookies
/// and goes to the flow's callbackURL (newUserCallbackURL for a new user), or, for a native
/// app's flow, goes there with a single-use `code` instead.
enum OAuthCallbackRoute {
    static var endpoints: [Endpoint] { [callback, formPost] }

    static let parameters = BodySchema([
        .init("code", .string), .init("state", .string), .init("error", .string), .init("error_description", .string),
        .init("iss", .string), .init("user", .string), .init("device_id", .string),
    ])

    static let callback = Endpoint(
        .get, "/callback/:id", summary: "OAuth callback: finish the flow and sign in", tag: "Social", statuses: [.found]
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
        summary: "OAuth callback (form_post): redirects to the GET form", tag: "Social", statuses: [.found]
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
        guard let state = ctx.query["state"], !state.isEmpty else { throw OAuthRedirectError("state_not_found") }
        let flow = try await OAuthStateStore.finish(ctx, state: state)
        let errorURL = flow.errorURL
        let code = try OAuthCodeFlow.code(ctx.query, flow)
        guard let provider = try? await auth.socialProviders.resolved(ctx.params["id"] ?? "") else {
            throw OAuthRedirectError("oauth_provider_not_found", errorURL: errorURL)
        }
        let identity = try await OAuthCodeFlow.identity(auth, provider, code: code, query: ctx.query, flow: flow)
        guard !flow.callbackURL.isEmpty else { throw OAuthRedirectError("no_callback_url", errorURL: errorURL) }

        if let link = flow.link {
            try await AccountLinking(auth: auth).linkFromCallback(identity, email: link.email, userID: link.userID, errorURL: errorURL)
            return .redirect(flow.callbackURL)
        }
        guard identity.email != nil else { throw OAuthRedirectError("email_not_found", errorURL: errorURL) }
        let disableSignUp = provider.refusesSignUp(requestSignUp: flow.requestSignUp == true)
        switch try await OAuthSignIn(auth: auth).run(identity, disableSignUp: disableSignUp, callbackURL: flow.callbackURL) {
        case .refused(let reason):
            throw OAuthRedirectError(reason.replacingOccurrences(of: " ", with: "_"), errorURL: errorURL)
        case .signedIn(let user, let isRegister):
            let destination = isRegister ? flow.newUserURL ?? flow.callbackURL : flow.callbackURL
            if let challenge = flow.appChallenge {
                return try await appCodeRedirect(auth, user: user, challenge: challenge, to: destination, errorURL: errorURL)
            }
            do {
                try await auth.sessions.signIn(ctx, user: user)
            } catch let refusal as APIError where (400...499).contains(refusal.status.code) {
                // A sign-in hold (ban, SCIM deactivation) reaches the browser as `?error=<code>`.
                throw OAuthRedirectError(refusal.code, description: refusal.message, errorURL: errorURL)
            }
            return .redirect(destination)
        }
    }

    /// A flow started by sign-in/social/authorize: the browser shares no cookies with the app, so
    /// instead of a session it carries a single-use code to the app, which exchanges it (with its
    /// PKCE verifier) at sign-in/social/exchange; sign-in holds apply there.
    private static func appCodeRedirect(_ auth: AuthContext, user: Record, challenge: AppCodeChallenge,
                                        to destination: String, errorURL: String?) async throws -> APIResponse {
        let code = try await AppSignInCode.issue(auth, userID: user.id, challenge: challenge)
        guard let location = AppSignInCode.location(destination, code: code) else {
            throw OAuthRedirectError("invalid_callback_url", errorURL: errorURL)
        }
        return .redirect(location)
    }
}
