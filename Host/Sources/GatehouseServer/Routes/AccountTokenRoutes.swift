import Foundation
import GatehouseJSON
import GatehouseOAuth
import GatehouseStorage

/// `get-access-token`, `refresh-token` and `account-info`: a signed-in user's provider tokens
/// and profile for one of their linked accounts, refreshed when due.
enum AccountTokenRoutes {
    static var endpoints: [Endpoint] { [getAccessToken, refreshToken, accountInfo] }

    /// Access tokens that expire within this window are refreshed first.
    static let refreshWindow: TimeInterval = 5

    static let selector = [
        BodySchema.Property("accountId", .string, description: "The local account id (1.7); with providerId, the provider's account id (1.6)"),
        BodySchema.Property("providerId", .string, description: "1.6 form"),
        BodySchema.Property("useAccountCookie", .boolean), BodySchema.Property("userId", .string),
    ]

    static let getAccessToken = Endpoint(
        .post, "/get-access-token", auth: .sensitiveSession, body: BodySchema(selector),
        summary: "A valid access token for a linked account (refreshed when about to expire)", tag: "Account"
    ) { ctx in
        let (account, provider) = try await target(ctx, ctx.body)
        let store = AccountTokens(auth: ctx.auth)
        var tokens = store.tokens(of: account)
        if let refresh = dueRefreshToken(tokens) {
            do { tokens = try await refreshed(ctx, account, provider, refresh) } catch {
                ctx.auth.logger.warning("token refresh failed", metadata: ["provider": "\(provider.id)", "error": "\(error)"])
                throw CoreErrors.error("FAILED_TO_GET_ACCESS_TOKEN", .badRequest)
            }
        }
        guard let accessToken = tokens.accessToken else { throw CoreErrors.error("FAILED_TO_GET_ACCESS_TOKEN", .badRequest) }
        return .json(.object(dropping: [
            ("accessToken", .string(accessToken)),
            ("accessTokenExpiresAt", tokens.accessTokenExpiresAt.map { DBValue.date($0).json }),
            ("scopes", .array(tokens.scopes.map(JSONValue.string))),
            ("idToken", tokens.idToken.map(JSONValue.string)),
        ]))
    }

    static let refreshToken = Endpoint(
        .post, "/refresh-token", auth: .sensitiveSession, body: BodySchema(selector),
        summary: "Refresh a linked account's tokens at the provider", tag: "Account"
    ) { ctx in
        let (account, provider) = try await target(ctx, ctx.body)
        guard provider.tokenEndpoint != nil else {
            throw APIError(.badRequest, "TOKEN_REFRESH_NOT_SUPPORTED", "Provider \(provider.id) does not support token refreshing.")
        }
        guard let refresh = AccountTokens(auth: ctx.auth).tokens(of: account).refreshToken else {
            throw CoreErrors.error("REFRESH_TOKEN_NOT_FOUND", .badRequest)
        }
        let tokens: OAuthTokens
        do { tokens = try await refreshed(ctx, account, provider, refresh) } catch {
            ctx.auth.logger.warning("token refresh failed", metadata: ["provider": "\(provider.id)", "error": "\(error)"])
            throw CoreErrors.error("FAILED_TO_REFRESH_ACCESS_TOKEN", .badRequest)
        }
        return .json(.object(dropping: [
            ("accessToken", tokens.accessToken.map(JSONValue.string)), ("refreshToken", tokens.refreshToken.map(JSONValue.string)),
            ("accessTokenExpiresAt", tokens.accessTokenExpiresAt.map { DBValue.date($0).json }),
            ("refreshTokenExpiresAt", tokens.refreshTokenExpiresAt.map { DBValue.date($0).json }),
            ("scope", tokens.scopes.isEmpty ? nil : .string(tokens.scopes.joined(separator: ","))),
            ("idToken", tokens.idToken.map(JSONValue.string)),
            ("providerId", .string(provider.id)), ("accountId", .string(account.id)),
        ]))
    }

    /// Query values are text, so the selector's flag is read from `"true"`.
    static let querySelector = BodySchema([
        .init("accountId", .string), .init("providerId", .string), .init("useAccountCookie", .string), .init("userId", .string),
    ])

    static let accountInfo = Endpoint(
        .get, "/account-info", auth: .sensitiveSession, query: querySelector,
        summary: "The provider's current profile for a linked account", tag: "Account"
    ) { ctx in
        let selection: JSONValue = .object(.init(uniqueKeysWithValues: ctx.query.map { key, value in
            (key, key == "useAccountCookie" ? .bool(value == "true") : .string(value))
        }))
        let (account, provider) = try await target(ctx, selection) { _ in CoreErrors.error("PROVIDER_NOT_CONFIGURED", .badRequest) }
        var tokens = AccountTokens(auth: ctx.auth).tokens(of: account)
        if let refresh = dueRefreshToken(tokens) {
            tokens = (try? await refreshed(ctx, account, provider, refresh)) ?? tokens
        }
        guard tokens.accessToken != nil || tokens.idToken != nil else { throw CoreErrors.error("ACCESS_TOKEN_NOT_FOUND", .badRequest) }
        // The stored ID token was verified when it arrived; its claims stand in for user info.
        let claims = tokens.idToken.flatMap(IDTokenVerifier.claims(of:))
        let profile: ProviderProfile
        do { profile = try await provider.fetchProfile(tokens: tokens, idTokenClaims: claims) } catch {
            ctx.auth.logger.warning("provider profile unavailable", metadata: ["provider": "\(provider.id)", "error": "\(error)"])
            throw CoreErrors.error("FAILED_TO_GET_USER_INFO", .badRequest)
        }
        return .json([
            "user": .object(dropping: [
                ("id", .string(profile.subject)), ("name", .string(profile.name)), ("email", profile.email.map(JSONValue.string)),
                ("image", profile.image.map(JSONValue.string)), ("emailVerified", .bool(profile.emailVerified)),
            ]),
            "data": profile.raw,
            "account": [
                "id": .string(account.id), "providerId": .string(provider.id),
                "issuer": account["issuer"]?.json ?? .null, "accountId": account["accountId"]?.json ?? .null,
            ],
        ])
    }

    /// The refresh token, when the access token expires within `refreshWindow` and can be renewed.
    static func dueRefreshToken(_ tokens: OAuthTokens) -> String? {
        guard let expires = tokens.accessTokenExpiresAt, expires.timeIntervalSinceNow < refreshWindow else { return nil }
        return tokens.refreshToken
    }

    /// The caller's account named by the selector, and its configured provider; an account
    /// whose provider is not configured is `unconfigured(providerId)`.
    static func target(_ ctx: EndpointContext, _ selection: JSONValue,
                       unconfigured: (String) -> APIError = { APIError(.badRequest, "PROVIDER_NOT_SUPPORTED", "Provider \($0) is not supported.") })
        async throws -> (Record, OAuthProvider)
    {
        let session = try await ctx.requireSession(sensitive: true)
        let accountID = selection["accountId"]?.stringValue
        let providerID = selection["providerId"]?.stringValue
        guard accountID != nil || providerID != nil || selection["useAccountCookie"]?.boolValue == true else {
            throw APIError(.badRequest, "VALIDATION_ERROR", "[body] Invalid input")
        }
        let accounts = try await ctx.auth.store.accounts(userID: session.userID)
        let account = if let providerID {
            accounts.first { $0.string("providerId") == providerID && (accountID == nil || $0.string("accountId") == accountID) }
        } else {
            accounts.first { $0.id == accountID }
        }
        // Gatehouse sets no `account_data` cookie, so `useAccountCookie` finds nothing.
        guard let account else { throw CoreErrors.error("ACCOUNT_NOT_FOUND", .badRequest) }
        let id = account.string("providerId") ?? ""
        guard let provider = try? await ctx.auth.socialProviders.resolved(id) else { throw unconfigured(id) }
        return (account, provider)
    }

    /// Refreshes at the provider and stores the answer; members it leaves out keep their values.
    static func refreshed(_ ctx: EndpointContext, _ account: Record, _ provider: OAuthProvider, _ refreshToken: String) async throws -> OAuthTokens {
        let store = AccountTokens(auth: ctx.auth)
        let fresh = try await provider.refresh(refreshToken: refreshToken)
        let changes = store.fields(fresh, includeScope: false)
        let row = try await ctx.auth.store.updateAccount(id: account.id, changes) ?? account
        return store.tokens(of: row)
    }
}
