import GatehouseJSON
import PluginKit

/// `GET|POST /oauth2/userinfo` (OpenID Connect Core §5.3): the claims the access token's scopes
/// release, for a live token issued for a user.
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
        return .json(.object(UserClaims.claims(of: user, scopes: TokenStore.scopes(of: row)))).header("cache-control", "no-store")
    }
}
