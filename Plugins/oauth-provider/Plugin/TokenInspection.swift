import GatehouseJSON
import OrderedCollections
import PluginKit

/// Token introspection (RFC 7662) and revocation (RFC 7009), for authenticated clients and
/// their own tokens only: another client's token is inactive to them and theirs to revoke is none.
struct TokenInspection: Sendable {
    let clients: ClientRegistry
    let tokens: TokenStore
    let issuer: String

    func introspect(_ form: [String: String], call: PluginCall) throws -> PluginAnswer {
        let client = try clients.authenticate(call, form: form)
        guard let token = form["token"], !token.isEmpty else { throw OAuthFailure.invalidRequest("token is required") }
        guard let (row, kind) = try find(token, hint: form["token_type_hint"]), TokenStore.isLive(row),
              row["clientId"]?.stringValue == client.clientID
        else { return Self.noStore(.json(["active": false])) }
        var body: OrderedDictionary<String, JSONValue> = [
            "active": true, "client_id": .string(client.clientID), "scope": .string(OAuthScopes.join(TokenStore.scopes(of: row))),
            "iss": .string(issuer),
        ]
        // RFC 7662 §2.2: a type of RFC 6749 §7.1; refresh tokens have none.
        if kind == "oauthAccessToken" { body["token_type"] = "Bearer" }
        if let userID = row["userId"]?.stringValue { body["sub"] = .string(userID) }
        if let expiresAt = ISODate.parse(row["expiresAt"]) { body["exp"] = .int(Int(expiresAt.timeIntervalSince1970)) }
        if let createdAt = ISODate.parse(row["createdAt"]) { body["iat"] = .int(Int(createdAt.timeIntervalSince1970)) }
        if let sessionID = row["sessionId"]?.stringValue { body["sid"] = .string(sessionID) }
        return Self.noStore(.json(.object(body)))
    }

    /// Unknown tokens and other clients' tokens are answered 200 like any other (RFC 7009 §2.2).
    func revoke(_ form: [String: String], call: PluginCall) throws -> PluginAnswer {
        let client = try clients.authenticate(call, form: form)
        guard let token = form["token"], !token.isEmpty else { throw OAuthFailure.invalidRequest("token is required") }
        if let (row, kind) = try find(token, hint: form["token_type_hint"]), row["clientId"]?.stringValue == client.clientID {
            if kind == "oauthRefreshToken" { try tokens.revokeRefreshToken(row) } else { try tokens.revokeAccessToken(row) }
        }
        return Self.noStore(.json([:]))
    }

    /// The token's row and table, looking first where the hint points.
    private func find(_ token: String, hint: String?) throws -> (JSONValue, String)? {
        let tables = hint == "refresh_token" ? ["oauthRefreshToken", "oauthAccessToken"] : ["oauthAccessToken", "oauthRefreshToken"]
        for table in tables {
            if let row = try tokens.row(table, token) { return (row, table) }
        }
        return nil
    }

    private static func noStore(_ answer: PluginAnswer) -> PluginAnswer { answer.header("cache-control", "no-store") }
}
