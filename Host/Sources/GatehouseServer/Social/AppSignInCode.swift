import Crypto
import Foundation
import GatehouseCrypto
import GatehouseJSON
import GatehouseOAuth

/// A native app's PKCE challenge (RFC 7636): the single-use code that ends its social sign-in
/// is exchanged only with the verifier behind it, which never left the app.
struct AppCodeChallenge: Sendable {
    enum Method: String, Sendable {
        case s256 = "S256"
        case plain
    }

    let challenge: String
    let method: Method

    /// nil unless `challenge` has RFC 7636's form (43–128 unreserved characters).
    init?(_ challenge: String, method: Method) {
        guard PKCE.isWellFormed(challenge) else { return nil }
        self.challenge = challenge
        self.method = method
    }

    init?(json: JSONValue) {
        guard let challenge = json["codeChallenge"]?.stringValue,
            let method = json["codeChallengeMethod"]?.stringValue.flatMap(Method.init(rawValue:))
        else { return nil }
        self.init(challenge, method: method)
    }

    var json: JSONValue { ["codeChallenge": .string(challenge), "codeChallengeMethod": .string(method.rawValue)] }

    /// Whether `verifier` answers the challenge (S256: base64url(SHA-256(verifier)) without
    /// padding; plain: the verifier itself), compared in constant time.
    func isAnswered(by verifier: String) -> Bool {
        guard PKCE.isWellFormed(verifier) else { return false }
        return ConstantTime.equals(method == .s256 ? PKCE.challenge(for: verifier) : verifier, challenge)
    }
}

/// The single-use code that ends a native app's social sign-in: the callback stores it for the
/// user and sends the browser to the app's URL with `code=`; the app exchanges it, with its PKCE
/// verifier, for a session. It lives 120 s and only its SHA-256 is stored (a verification row),
/// so whoever reads the table cannot use the codes in it.
enum AppSignInCode {
    static let lifetime: TimeInterval = 120

    /// Stores a new code for `userID` bound to `challenge`; returns the code.
    static func issue(_ auth: AuthContext, userID: String, challenge: AppCodeChallenge) async throws -> String {
        let code = RandomIdentifier.string(length: 43, alphabet: RandomIdentifier.urlSafe)
        var value = challenge.json.objectValue ?? [:]
        value["userId"] = .string(userID)
        try await auth.store.createVerification(identifier: identifier(of: code), value: JSONValue.object(value).serialized(),
                                                expiresAt: Date().addingTimeInterval(lifetime))
        return code
    }

    /// The user `code` was issued for, if it is live and `verifier` answers its challenge. The
    /// code is used up whatever the outcome; its row is deleted atomically, so of concurrent
    /// exchanges (on any instance) at most one gets it.
    static func redeem(_ auth: AuthContext, code: String, verifier: String) async throws -> String? {
        guard let value = try await auth.store.consumeVerification(identifier: identifier(of: code)),
            let stored = try? JSONValue.parse(Array(value.utf8)), let challenge = AppCodeChallenge(json: stored),
            challenge.isAnswered(by: verifier)
        else { return nil }
        return stored["userId"]?.stringValue
    }

    /// `destination` with `code=<code>` in its query: other items are kept (a `code` already
    /// there is replaced, so the app reads one), and so is a fragment. nil if it is no URL.
    static func location(_ destination: String, code: String) -> String? {
        guard var components = URLComponents(string: destination) else { return nil }
        components.percentEncodedQueryItems = (components.percentEncodedQueryItems ?? []).filter { $0.name != "code" }
            + [URLQueryItem(name: "code", value: code)]
        return components.string
    }

    private static func identifier(of code: String) -> String {
        "social-app-code:" + Hex.encode(SHA256.hash(data: Array(code.utf8)))
    }
}
