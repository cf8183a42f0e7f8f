import Foundation

/// Social sign-in: with an ID token from the provider's own SDK, or through the system browser
/// (`authorizationURL` → the provider → the app's scheme → `completeSignIn(from:)`).
extension GatehouseClient {
    /// Signs in with an OpenID Connect ID token the app got from the provider's SDK (Sign in
    /// with Apple, Google Sign-In). `nonce` is the raw nonce the SDK's request carried.
    @discardableResult
    public func signIn(idToken: String, provider: String, nonce: String? = nil) async throws -> User {
        let answer = try await send(.post, "/sign-in/social", body: WireJSON.body([
            "provider": .string(provider),
            "idToken": .object(["token": .string(idToken)].merging(nonce.map { ["nonce": .string($0)] } ?? [:]) { $1 }),
        ]))
        return try await finishSignInForUser(answer)
    }

    /// The URL to open in a browser session that shares no cookies with the app
    /// (`ASWebAuthenticationSession`). The flow runs in that browser; at its end the server
    /// sends it to `callbackURL` (an app scheme in the server's `trustedOrigins`, such as
    /// `myapp://auth`) with a single-use code, which `completeSignIn(from:)` exchanges. The
    /// code is bound to a PKCE (S256) verifier that never leaves this client, so another app that
    /// catches the redirect cannot use it. A later call replaces the pending sign-in.
    public func authorizationURL(provider: String, callbackURL: String) -> URL {
        let browserSignIn = BrowserSignIn()
        let path = "/sign-in/social/authorize"
        // endpointURL fails only on a base URL that is no URL, which `URL` cannot hold.
        let url = (try? endpointURL(path, query: [
            "provider": provider, "callbackURL": callbackURL,
            "codeChallenge": browserSignIn.challenge, "codeChallengeMethod": browserSignIn.method,
        ])) ?? baseURL.appendingPathComponent(path)
        pendingBrowserSignIn = browserSignIn
        return url
    }

    /// Finishes the browser sign-in with the URL the browser ended on (`myapp://auth?code=…`,
    /// or `?error=…`, thrown as `GatehouseError` with that code).
    @discardableResult
    public func completeSignIn(from url: URL) async throws -> User {
        let items = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        let value = { (name: String) in items.first { $0.name == name }?.value }
        if let error = value("error") {
            pendingBrowserSignIn = nil
            throw GatehouseError(status: 401, code: error, message: value("error_description"))
        }
        guard let code = value("code"), !code.isEmpty else {
            throw GatehouseError(status: 0, code: "NO_SIGN_IN_CODE", message: "The URL carries no sign-in code")
        }
        guard let browserSignIn = pendingBrowserSignIn else {
            throw GatehouseError(status: 0, code: "NO_PENDING_SIGN_IN", message: "No browser sign-in was started by this client (authorizationURL)")
        }
        pendingBrowserSignIn = nil
        let answer = try await send(.post, "/sign-in/social/exchange", body: WireJSON.body([
            "code": .string(code), "codeVerifier": .string(browserSignIn.verifier),
        ]))
        return try await finishSignInForUser(answer)
    }
}

/// RFC 7636 (S256) for the browser sign-in: a random verifier kept by the client, its challenge
/// sent in the authorization URL. Only the challenge passes through the browser; the code it
/// brings back is worth nothing without the verifier.
struct BrowserSignIn: Sendable {
    let verifier: String
    let challenge: String
    let method = "S256"

    init() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        verifier = Self.base64URL(Data(bytes))
        challenge = Self.challenge(for: verifier)
    }

    static func challenge(for verifier: String) -> String {
        base64URL(Data(SHA256Digest.hash(Array(verifier.utf8))))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
