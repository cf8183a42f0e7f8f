import Foundation
import GatehousePluginABI
import GatehouseJSON
import GatehouseOAuth
import GatehouseStorage

/// The `oauth.*` host operations: plugins (SSO, for one) run the host's OAuth 2.0 / OpenID
/// Connect client, with a configured social provider (`"provider": "<id>"`) or one they
/// describe inline (`"provider": {"id", "clientId", "discoveryUrl", …}`, the keys of
/// `socialProviders.<id>`). State, PKCE, nonce and ID-token checks are the core's own.
enum OAuthOperations {
    typealias Failure = HostOperations.Failure

    static func run(_ operation: String, _ input: JSONValue, auth: AuthContext) async throws -> JSONValue {
        switch operation {
        case "oauth.start": return try await start(input, auth)
        case "oauth.finish": return try await finish(input, auth)
        case "oauth.verifyIdToken": return try await verifyIDToken(input, auth)
        case "oauth.signIn": return try await signIn(input, auth)
        case "oauth.providers": return await providers(auth)
        default: throw Failure(status: GH_UNSUPPORTED, code: "UNSUPPORTED_OPERATION", message: "unknown host operation \"\(operation)\"")
        }
    }

    /// → `{url, state, cookie}`: send the browser to `url` and set `cookie` (an answer
    /// `cookies` entry) so `oauth.finish` can tell the callback comes from the same browser.
    private static func start(_ input: JSONValue, _ auth: AuthContext) async throws -> JSONValue {
        let (provider, inline) = try await provider(input, auth)
        var flow = OAuthState(callbackURL: try HostOperations.required(input, "callbackURL"))
        flow.errorURL = input["errorCallbackURL"]?.stringValue
        flow.newUserURL = input["newUserCallbackURL"]?.stringValue
        flow.requestSignUp = input["requestSignUp"]?.boolValue
        if let redirect = input["redirectURI"]?.stringValue {
            flow.redirectURI = redirect
        } else if inline {
            throw Failure(status: GH_INVALID, code: "MISSING_FIELD", message: "\"redirectURI\" is required with an inline provider")
        }
        let url: String, state: String
        do { (url, state) = try await OAuthCodeFlow.start(auth, provider, flow, options: input) } catch let failure as ProviderFailure {
            throw Failure(status: GH_ERROR, code: "PROVIDER_UNAVAILABLE", message: failure.description)
        }
        let cookie: JSONValue = ["name": .string(OAuthStateStore.cookieName), "value": .string(state), "signed": true,
                                 "maxAge": .int(OAuthStateStore.cookieMaxAge)]
        return ["url": .string(url), "state": .string(state), "cookie": cookie]
    }

    /// `{provider, query: {code, state, error?, iss?, …}, stateCookie}` → `{accountId, issuer,
    /// profile, tokens, flow}`. A failure is `GH_DENIED` with Better Auth's callback error code
    /// (`state_mismatch`, `invalid_code`, …) and the `location` to redirect to.
    private static func finish(_ input: JSONValue, _ auth: AuthContext) async throws -> JSONValue {
        let query = (input["query"]?.objectValue ?? [:]).reduce(into: [String: String]()) { out, member in
            if let text = member.value.stringValue { out[member.key] = text }
        }
        do {
            guard let state = query["state"], !state.isEmpty else { throw OAuthRedirectError("state_not_found") }
            let flow = try await OAuthStateStore.take(auth, state: state, cookie: input["stateCookie"]?.stringValue)
            let code = try OAuthCodeFlow.code(query, flow)
            let provider: OAuthProvider
            do { provider = try await self.provider(input, auth).0 } catch {
                throw OAuthRedirectError("oauth_provider_not_found", errorURL: flow.errorURL)
            }
            let identity = try await OAuthCodeFlow.identity(auth, provider, code: code, query: query, flow: flow)
            let flowJSON: JSONValue = .object(dropping: [
                ("callbackURL", .string(flow.callbackURL)), ("errorURL", flow.errorURL.map(JSONValue.string)),
                ("newUserURL", flow.newUserURL.map(JSONValue.string)), ("requestSignUp", flow.requestSignUp.map(JSONValue.bool)),
                ("additionalData", flow.additionalData),
            ])
            return ["accountId": .string(identity.accountID), "issuer": .string(identity.issuer), "profile": json(identity.profile),
                    "tokens": json(identity.tokens), "flow": flowJSON]
        } catch let failure as OAuthRedirectError {
            throw Failure(status: GH_DENIED, code: failure.code, message: failure.description ?? failure.code,
                          extra: [("location", .string(failure.location(defaultURL: auth.defaultErrorURL)))])
        }
    }

    /// `{provider, token, nonce?}` → `{claims, accountId, issuer, profile}`; `GH_INVALID`
    /// `INVALID_TOKEN` when the signature, issuer, audience, expiry or nonce is wrong.
    private static func verifyIDToken(_ input: JSONValue, _ auth: AuthContext) async throws -> JSONValue {
        let (provider, _) = try await provider(input, auth)
        let token = try HostOperations.required(input, "token")
        let claims: JSONValue
        do { claims = try await provider.verifyIDToken(token, nonce: input["nonce"]?.stringValue) } catch {
            throw Failure(status: GH_INVALID, code: "INVALID_TOKEN", message: "\(error)")
        }
        guard let profile = provider.profile.map(claims) else {
            throw Failure(status: GH_INVALID, code: "INVALID_TOKEN", message: "the token has no subject")
        }
        let identity = ProviderIdentity(provider: provider, profile: profile, tokens: OAuthTokens(idToken: token))
        return ["claims": claims, "accountId": .string(identity.accountID), "issuer": .string(identity.issuer), "profile": json(profile)]
    }

    /// `{providerId, issuer?, profile: {subject, email, emailVerified?, name?, image?},
    /// tokens?, disableSignUp?}` → `{user, isRegister}`: the core's find-link-or-create with
    /// the account-linking policy. Answer the request with `signIn: {userId}` to start a
    /// session. A refusal is `GH_DENIED` with its reason as the code (`account_not_linked`, …).
    private static func signIn(_ input: JSONValue, _ auth: AuthContext) async throws -> JSONValue {
        let providerID = try HostOperations.required(input, "providerId")
        let profileInput = input["profile"] ?? .null
        guard let subject = profileInput["subject"]?.stringValue, !subject.isEmpty else {
            throw Failure(status: GH_INVALID, code: "MISSING_FIELD", message: "\"profile.subject\" is required")
        }
        var provider = auth.socialProviders.configured(providerID)
            ?? OAuthProvider(id: providerID, clientID: "", clientSecret: .none, scopes: [], profile: .openID, supportsIDToken: false)
        if let issuer = input["issuer"]?.stringValue { provider.accountIssuer = issuer }
        let profile = ProviderProfile(subject: subject, email: profileInput["email"]?.stringValue,
                                      emailVerified: profileInput["emailVerified"]?.boolValue ?? false,
                                      name: profileInput["name"]?.stringValue ?? "", image: profileInput["image"]?.stringValue,
                                      raw: profileInput["raw"] ?? .null)
        let identity = ProviderIdentity(provider: provider, profile: profile, tokens: tokens(input["tokens"]))
        switch try await OAuthSignIn(auth: auth).run(identity, disableSignUp: input["disableSignUp"]?.boolValue ?? false, callbackURL: nil) {
        case .refused(let reason):
            throw Failure(status: GH_DENIED, code: reason.replacingOccurrences(of: " ", with: "_"), message: reason)
        case .signedIn(let user, let isRegister):
            return ["user": auth.output("user", user), "isRegister": .bool(isRegister)]
        }
    }

    /// `{}` → `{providers: [{id, issuer}]}`: the configured social providers and the issuer their
    /// accounts carry (discovered when discovery answers), so a plugin that lets users register
    /// identity providers can keep theirs apart from the operator's.
    private static func providers(_ auth: AuthContext) async -> JSONValue {
        var list: [JSONValue] = []
        for provider in auth.config.socialProviders {
            let resolved = (try? await auth.socialProviders.resolved(provider.id)) ?? provider
            list.append(["id": .string(provider.id), "issuer": .string(resolved.issuerForAccounts)])
        }
        return ["providers": .array(list)]
    }

    /// A configured provider by id, or an inline description (validated like configuration).
    private static func provider(_ input: JSONValue, _ auth: AuthContext) async throws -> (OAuthProvider, inline: Bool) {
        do {
            if let id = input["provider"]?.stringValue {
                guard let provider = try await auth.socialProviders.resolved(id) else {
                    throw Failure(status: GH_NOT_FOUND, code: "PROVIDER_NOT_FOUND", message: "no social provider \"\(id)\" is configured")
                }
                return (provider, false)
            }
            guard let settings = input["provider"], var members = settings.objectValue, let id = members["id"]?.stringValue else {
                throw Failure(status: GH_INVALID, code: "MISSING_FIELD", message: "\"provider\" must be a configured id or an object with \"id\"")
            }
            members.removeValue(forKey: "id")
            do { return (try await ProviderSettings.provider(id: id, .object(members)).resolved(), true) } catch let invalid as ProviderSettings.Invalid {
                throw Failure(status: GH_INVALID, code: "INVALID_PROVIDER", message: "provider.\(invalid.key ?? id): \(invalid.message)")
            }
        } catch let failure as ProviderFailure {
            throw Failure(status: GH_ERROR, code: "PROVIDER_UNAVAILABLE", message: failure.description)
        }
    }

    private static func json(_ profile: ProviderProfile) -> JSONValue {
        .object(dropping: [
            ("subject", .string(profile.subject)), ("email", profile.email.map(JSONValue.string)),
            ("emailVerified", .bool(profile.emailVerified)), ("name", .string(profile.name)),
            ("image", profile.image.map(JSONValue.string)), ("raw", profile.raw),
        ])
    }

    private static func json(_ tokens: OAuthTokens) -> JSONValue {
        .object(dropping: [
            ("accessToken", tokens.accessToken.map(JSONValue.string)), ("refreshToken", tokens.refreshToken.map(JSONValue.string)),
            ("idToken", tokens.idToken.map(JSONValue.string)), ("tokenType", tokens.tokenType.map(JSONValue.string)),
            ("accessTokenExpiresAt", tokens.accessTokenExpiresAt.map { DBValue.date($0).json }),
            ("refreshTokenExpiresAt", tokens.refreshTokenExpiresAt.map { DBValue.date($0).json }),
            ("scopes", .array(tokens.scopes.map(JSONValue.string))),
        ])
    }

    private static func tokens(_ value: JSONValue?) -> OAuthTokens {
        guard let value else { return OAuthTokens() }
        return OAuthTokens(accessToken: value["accessToken"]?.stringValue, refreshToken: value["refreshToken"]?.stringValue,
                           idToken: value["idToken"]?.stringValue,
                           accessTokenExpiresAt: value["accessTokenExpiresAt"]?.stringValue.flatMap(ISOTimestamp.parse),
                           refreshTokenExpiresAt: value["refreshTokenExpiresAt"]?.stringValue.flatMap(ISOTimestamp.parse),
                           scopes: value["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }
}
