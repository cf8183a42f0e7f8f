import GatehouseJSON
import PluginKit

/// `GET|POST /oauth2/userinfo` (OpenID Connect Core §5.3): the claims the access token's scopes
/// release, for a live token issued for a user with `openid`.
struct UserInfoEndpoint: Sendable {
    let tokens: TokenStore
    let host: PluginHost

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        guard let authorization = call.header("authorization"), authorization.lowercased().hasPrefix("bearer ") else {
            throw OAuthFailure.invalidToken("a bearer access token is required")
        }
        let token = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard let row = try tokens.liveAccessToken(token), let userID = row["userId"]?.stringValue,
              let user = try host.call("users.find", ["id": .string(userID)])["user"]?.nonNull
        else { throw OAuthFailure.invalidToken("the access token is invalid, expired or revoked") }
        let scopes = TokenStore.scopes(of: row)
        // UserInfo is OpenID Connect's: a plain OAuth grant has none (Better Auth answers the same).
        guard scopes.contains("openid") else { throw OAuthFailure.invalidScope("the access token was not granted the openid scope") }
        return .json(.object(UserClaims.claims(of: user, scopes: scopes))).header("cache-control", "no-store")
    }
}
