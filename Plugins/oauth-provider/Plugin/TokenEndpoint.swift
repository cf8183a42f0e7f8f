import Foundation
import GatehouseJSON
import OrderedCollections
import PluginKit

/// `POST /oauth2/token` (RFC 6749 §3.2): the authorization code (with PKCE, RFC 7636), refresh
/// token and client credentials grants. The client is authenticated before anything else is read.
struct TokenEndpoint: Sendable {
    let clients: ClientRegistry
    let codes: AuthorizationCodes
    let tokens: TokenStore
    let idTokens: IDTokens
    let host: PluginHost

    func handle(_ form: [String: String], call: PluginCall) throws -> PluginAnswer {
        let client = try clients.authenticate(call, form: form)
        guard let grantType = form["grant_type"] else { throw OAuthFailure.invalidRequest("grant_type is required") }
        guard OAuthClient.grantTypes.contains(grantType) else {
            throw OAuthFailure(error: "unsupported_grant_type", description: "grant_type \(grantType) is not supported")
        }
        guard client.grantTypes.contains(grantType) else {
            throw OAuthFailure(error: "unauthorized_client", description: "this client may not use the \(grantType) grant")
        }
        switch grantType {
        case "authorization_code": return try authorizationCode(form, client: client)
        case "refresh_token": return try refresh(form, client: client)
        default: return try clientCredentials(form, client: client)
        }
    }

    private func authorizationCode(_ form: [String: String], client: OAuthClient) throws -> PluginAnswer {
        guard let code = form["code"], !code.isEmpty else { throw OAuthFailure.invalidRequest("code is required") }
        guard let verifier = form["code_verifier"] else { throw OAuthFailure.invalidRequest("code_verifier is required") }
        let (codeID, grant) = try codes.redeem(code)
        guard let grant else {
            // Used before (or never issued): whatever it bought is no longer trustworthy.
            try tokens.revokeFamily(codeID)
            throw OAuthFailure.invalidGrant("the authorization code is invalid, expired or already used")
        }
        guard grant.clientID == client.clientID else { throw OAuthFailure.invalidGrant("the authorization code was issued to another client") }
        guard form["redirect_uri"] == grant.redirectURI else { throw OAuthFailure.invalidGrant("redirect_uri does not match the authorization request") }
        // RFC 7636 §4.6: a verifier that does not match the challenge is invalid_grant.
        guard (43...128).contains(verifier.count), let digest = host.hash(.sha256, Array(verifier.utf8)),
              ConstantTime.equal(Base64URL.encode(digest), grant.codeChallenge)
        else { throw OAuthFailure.invalidGrant("code_verifier does not match the code_challenge") }
        try requireUser(grant.userID)
        // The sign-in that approved the code has ended (signed out meanwhile): so has the code.
        guard try PluginDatabase(host: host).findOne("session", [PluginDatabase.equals("id", .string(grant.sessionID))]) != nil else {
            throw OAuthFailure.invalidGrant("the session that approved this code has ended")
        }
        let subject = TokenStore.Subject(clientID: client.clientID, userID: grant.userID, sessionID: grant.sessionID, scopes: grant.scopes,
                                         family: codeID, authTime: grant.authTime)
        return try answer(subject, client: client, nonce: grant.nonce)
    }

    private func refresh(_ form: [String: String], client: OAuthClient) throws -> PluginAnswer {
        guard let presented = form["refresh_token"], !presented.isEmpty else { throw OAuthFailure.invalidRequest("refresh_token is required") }
        guard let row = try tokens.refreshToken(presented), row["clientId"]?.stringValue == client.clientID else {
            throw OAuthFailure.invalidGrant("the refresh token is invalid")
        }
        guard TokenStore.isLive(row) else {
            // A rotated token presented again was stolen or replayed: end its whole family.
            if row["rotatedAt"]?.nonNull != nil, let family = row["authorizationCodeId"]?.stringValue { try tokens.revokeFamily(family) }
            throw OAuthFailure.invalidGrant("the refresh token is expired or revoked")
        }
        let granted = TokenStore.scopes(of: row)
        var scopes = granted
        if let requested = form["scope"] {
            guard let narrowed = OAuthScopes.parse(requested), !narrowed.isEmpty, Set(narrowed).isSubset(of: granted) else {
                throw OAuthFailure.invalidScope("a refresh may only narrow the granted scope")
            }
            scopes = narrowed
        }
        guard try tokens.rotate(row) else {
            if let family = row["authorizationCodeId"]?.stringValue { try tokens.revokeFamily(family) }
            throw OAuthFailure.invalidGrant("the refresh token is expired or revoked")
        }
        guard let userID = row["userId"]?.stringValue else { throw OAuthFailure.invalidGrant("the refresh token is invalid") }
        try requireUser(userID)
        // The new refresh token keeps the whole grant; only this access token is narrowed.
        let subject = TokenStore.Subject(clientID: client.clientID, userID: userID, sessionID: row["sessionId"]?.stringValue, scopes: granted,
                                         family: row["authorizationCodeId"]?.stringValue, authTime: ISODate.parse(row["authTime"]))
        return try answer(subject, client: client, nonce: nil, accessScopes: scopes)
    }

    private func clientCredentials(_ form: [String: String], client: OAuthClient) throws -> PluginAnswer {
        var scopes = client.clientCredentialsScopes
        if let requested = form["scope"] {
            guard let names = OAuthScopes.parse(requested), !names.isEmpty, Set(names).isSubset(of: client.clientCredentialsScopes),
                  names.allSatisfy({ !OAuthScopes.userScopes.contains($0) })
            else { throw OAuthFailure.invalidScope("the scope is not granted to this client for client_credentials") }
            scopes = names
        }
        guard !scopes.isEmpty else { throw OAuthFailure.invalidScope("this client has no client_credentials_scopes") }
        let issued = try tokens.issue(.init(clientID: client.clientID, scopes: scopes), accessScopes: scopes, withRefreshToken: false)
        return Self.success(["access_token": .string(issued.accessToken), "token_type": "Bearer",
                             "expires_in": .int(tokens.accessLifetime), "scope": .string(OAuthScopes.join(scopes))])
    }

    /// Tokens for a user: a refresh token with `offline_access` (for clients allowed the grant),
    /// an ID token with `openid`.
    private func answer(_ subject: TokenStore.Subject, client: OAuthClient, nonce: String?,
                        accessScopes: [String]? = nil) throws -> PluginAnswer {
        let withRefresh = subject.scopes.contains("offline_access") && client.grantTypes.contains("refresh_token")
        let scopes = accessScopes ?? subject.scopes
        let issued = try tokens.issue(subject, accessScopes: scopes, withRefreshToken: withRefresh)
        // A replay of this grant's code or refresh token raced this request: it loses too.
        if let family = subject.family, tokens.isRevokedFamily(family) {
            try tokens.revokeFamily(family)
            throw OAuthFailure.invalidGrant("the grant was revoked")
        }
        var body: OrderedDictionary<String, JSONValue> = [
            "access_token": .string(issued.accessToken), "token_type": "Bearer", "expires_in": .int(tokens.accessLifetime),
            "scope": .string(OAuthScopes.join(scopes)),
        ]
        if let refresh = issued.refreshToken { body["refresh_token"] = .string(refresh) }
        if scopes.contains("openid") {
            body["id_token"] = .string(try idTokens.token(userID: subject.userID ?? "", clientID: client.clientID, nonce: nonce,
                                                          authTime: subject.authTime, sessionID: client.enableEndSession ? subject.sessionID : nil,
                                                          accessToken: issued.accessToken))
        }
        return Self.success(body)
    }

    private func requireUser(_ id: String) throws {
        guard try host.call("users.find", ["id": .string(id)])["user"]?.nonNull != nil else {
            throw OAuthFailure.invalidGrant("the user no longer exists")
        }
    }

    private static func success(_ body: OrderedDictionary<String, JSONValue>) -> PluginAnswer {
        .json(.object(body)).header("cache-control", "no-store").header("pragma", "no-cache")
    }
}
