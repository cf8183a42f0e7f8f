import Foundation
import GatehouseCrypto
import GatehouseJSON
import GatehouseOAuth

/// What a pending OAuth flow remembers between the redirect to the provider and the callback
/// (Better Auth's state data: the same JSON in the verification row).
struct OAuthState {
    var callbackURL: String
    var codeVerifier = PKCE.makeVerifier()
    var errorURL: String?
    var newUserURL: String?
    /// Set by link-social: the account goes to this user instead of signing in.
    var link: (email: String, userID: String)?
    var requestSignUp: Bool?
    /// The OIDC nonce sent with the authorization request; the ID token must echo it.
    var idTokenNonce: String?
    /// The redirect URI used at the provider; the token request must repeat it.
    var redirectURI: String?
    var additionalData: JSONValue?
    /// Set by sign-in/social/authorize: the flow ends in a single-use code for a native app,
    /// bound to the app's PKCE challenge, instead of a session in the browser.
    var appChallenge: AppCodeChallenge?
    var expiresAt = Date().addingTimeInterval(OAuthStateStore.lifetime)

    init(callbackURL: String) {
        self.callbackURL = callbackURL
    }

    func json(state: String) -> JSONValue {
        var members = additionalData?.objectValue ?? [:]
        members["callbackURL"] = .string(callbackURL)
        members["codeVerifier"] = .string(codeVerifier)
        if let errorURL { members["errorURL"] = .string(errorURL) }
        if let newUserURL { members["newUserURL"] = .string(newUserURL) }
        if let link { members["link"] = ["email": .string(link.email), "userId": .string(link.userID)] }
        members["expiresAt"] = .number((expiresAt.timeIntervalSince1970 * 1000).rounded())
        if let requestSignUp { members["requestSignUp"] = .bool(requestSignUp) }
        if let idTokenNonce { members["idTokenNonce"] = .string(idTokenNonce) }
        if let redirectURI { members["redirectURI"] = .string(redirectURI) }
        if let additionalData { members["additionalData"] = additionalData }
        if let appChallenge { members["appChallenge"] = appChallenge.json }
        members["oauthState"] = .string(state)
        return .object(members)
    }

    init?(json: JSONValue) {
        guard let callbackURL = json["callbackURL"]?.stringValue, let verifier = json["codeVerifier"]?.stringValue,
            let expires = json["expiresAt"]?.doubleValue
        else { return nil }
        self.callbackURL = callbackURL
        codeVerifier = verifier
        expiresAt = Date(timeIntervalSince1970: expires / 1000)
        errorURL = json["errorURL"]?.stringValue
        newUserURL = json["newUserURL"]?.stringValue
        if let email = json["link"]?["email"]?.stringValue, let userID = json["link"]?["userId"]?.stringValue { link = (email, userID) }
        requestSignUp = json["requestSignUp"]?.boolValue
        idTokenNonce = json["idTokenNonce"]?.stringValue
        redirectURI = json["redirectURI"]?.stringValue
        additionalData = json["additionalData"]
        // A native app's flow that lost its challenge must not fall back to a browser session.
        if let challenge = json["appChallenge"] {
            guard let parsed = AppCodeChallenge(json: challenge) else { return nil }
            appChallenge = parsed
        }
    }
}

/// Better Auth's database state strategy: a random `state` names a verification row holding
/// the flow, and a signed `state` cookie binds the flow to the browser that started it. The
/// row is deleted when the callback reads it, so a state works once.
enum OAuthStateStore {
    static let lifetime: TimeInterval = 600
    static let cookieMaxAge = 300
    static let cookieName = "state"

    /// Stores the flow; returns the `state` parameter (the caller sets the cookie).
    static func store(_ auth: AuthContext, _ flow: OAuthState) async throws -> String {
        let state = RandomIdentifier.generate(length: 32)
        try await auth.store.createVerification(identifier: state, value: flow.json(state: state).serialized(), expiresAt: flow.expiresAt)
        return state
    }

    /// Reads and deletes the flow for `state`; `cookie` is the raw signed `state` cookie the
    /// browser sent. Any mismatch is `state_mismatch`.
    static func take(_ auth: AuthContext, state: String, cookie: String?) async throws -> OAuthState {
        guard let value = try await auth.store.consumeVerification(identifier: state),
            let parsed = try? JSONValue.parse(Array(value.utf8)), let flow = OAuthState(json: parsed)
        else { throw OAuthRedirectError("state_mismatch") }
        let errorURL = flow.errorURL
        guard parsed["oauthState"]?.stringValue.map({ ConstantTime.equals($0, state) }) ?? true,
            let signed = cookie.flatMap(auth.signer.verify), ConstantTime.equals(signed, state), flow.expiresAt > Date()
        else { throw OAuthRedirectError("state_mismatch", errorURL: errorURL) }
        return flow
    }

    /// The signed cookie that binds `state` to this browser.
    static func setCookie(_ ctx: EndpointContext, state: String) {
        ctx.setCookie(ctx.auth.cookies.name(cookieName), ctx.auth.signer.sign(state), maxAge: cookieMaxAge)
    }

    /// `take` with the request's cookie, which is expired on the response.
    static func finish(_ ctx: EndpointContext, state: String) async throws -> OAuthState {
        let name = ctx.auth.cookies.name(cookieName)
        defer { if ctx.cookies[name] != nil { ctx.expireCookie(name) } }
        return try await take(ctx.auth, state: state, cookie: ctx.cookies[name])
    }
}
