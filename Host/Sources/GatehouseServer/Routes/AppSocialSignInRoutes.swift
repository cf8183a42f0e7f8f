import Foundation
import GatehouseJSON

/// Social sign-in for native apps through the system browser (Gatehouse's, beyond Better Auth).
/// The browser (ASWebAuthenticationSession, Custom Tabs) shares no cookies with the app, so the
/// app opens `GET /sign-in/social/authorize` there, the flow runs as sign-in/social's, and the
/// callback sends the browser to the app's `callbackURL` with a single-use code bound to the
/// app's PKCE challenge; the app trades code and verifier for a session at
/// `POST /sign-in/social/exchange`.
enum AppSocialSignInRoutes {
    static var endpoints: [Endpoint] { [authorize, exchange] }

    static let authorize = Endpoint(
        .get, "/sign-in/social/authorize",
        query: BodySchema([
            .init("provider", .string, required: true), .init("callbackURL", .string, required: true),
            .init("codeChallenge", .string, required: true, description: "RFC 7636: 43–128 characters of [A-Za-z0-9-._~]"),
            .init("codeChallengeMethod", .string, description: "S256 (default) or plain"),
            .init("errorCallbackURL", .string, description: "default: callbackURL"), .init("newUserCallbackURL", .string),
            .init("requestSignUp", .string, description: "true: sign up even where the provider only signs up on request"),
            .init("loginHint", .string),
        ]),
        summary: "Start social sign-in for a native app in the system browser (302 to the provider)", tag: "Social",
        statuses: [.found, .notFound, .badGateway]
    ) { ctx in
        try requireAppURLs(ctx.query)
        let challenge = try appChallenge(ctx.query)
        let provider = try await SocialFlow.provider(ctx, id: ctx.query["provider"] ?? "")
        let callbackURL = ctx.query["callbackURL"] ?? ""
        var flow = OAuthState(callbackURL: callbackURL)
        // Failures at the callback go back to the app, which is waiting at its own URL.
        flow.errorURL = ctx.query["errorCallbackURL"] ?? callbackURL
        flow.newUserURL = ctx.query["newUserCallbackURL"]
        flow.requestSignUp = ctx.query["requestSignUp"] == "true"
        flow.appChallenge = challenge
        let options: JSONValue = ["loginHint": ctx.query["loginHint"].map(JSONValue.string) ?? .null]
        return .redirect(try await SocialFlow.authorizationURL(ctx, provider, flow, options: options))
    }

    static let exchange = Endpoint(
        .post, "/sign-in/social/exchange",
        body: BodySchema([.init("code", .string, required: true), .init("codeVerifier", .string, required: true)]),
        summary: "Exchange a native app's single-use sign-in code and PKCE verifier for a session", tag: "Social",
        statuses: [.unauthorized]
    ) { ctx in
        let auth = ctx.auth
        // One answer for an unknown, expired, used or mismatched code: nothing tells which.
        guard let userID = try await AppSignInCode.redeem(auth, code: ctx.bodyString("code") ?? "", verifier: ctx.bodyString("codeVerifier") ?? ""),
            let user = try await auth.store.user(id: userID)
        else { throw CoreErrors.error("INVALID_CODE", .unauthorized) }
        return try await SocialFlow.signIn(ctx, user)
    }

    /// The code goes only to an app's own scheme (`myapp://…`), never to a web page or a path
    /// of this site, where it would sit in a page's URL (history, logs, analytics, referrers)
    /// for whoever started the flow, and holds the verifier, to collect. OriginCheck has checked
    /// that the URLs are trusted; 403 as it answers.
    private static func requireAppURLs(_ query: [String: String]) throws {
        for (key, code) in [("callbackURL", "INVALID_CALLBACK_URL"), ("newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL")] {
            guard let url = query[key] else { continue }
            guard let scheme = URLComponents(string: url)?.scheme?.lowercased(), !["http", "https"].contains(scheme) else {
                throw APIError(.forbidden, code, "An app sign-in returns to the app's own scheme (myapp://…), not to a web page")
            }
        }
    }

    /// The app's challenge from the query, or 400 `VALIDATION_ERROR`.
    private static func appChallenge(_ query: [String: String]) throws -> AppCodeChallenge {
        guard let method = AppCodeChallenge.Method(rawValue: query["codeChallengeMethod"] ?? "S256") else {
            throw APIError(.badRequest, "VALIDATION_ERROR", "[query.codeChallengeMethod] Invalid input: expected \"S256\" or \"plain\"")
        }
        guard let challenge = AppCodeChallenge(query["codeChallenge"] ?? "", method: method) else {
            throw APIError(.badRequest, "VALIDATION_ERROR", "[query.codeChallenge] Invalid input: expected 43 to 128 characters of [A-Za-z0-9-._~]")
        }
        return challenge
    }
}
