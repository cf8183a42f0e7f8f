import GatehouseJSON
import PluginKit

/// `GET|POST /oauth2/end-session` (OpenID Connect RP-Initiated Logout 1.0), as Better Auth 1.7
/// decides it: an ID token of this issuer, from a client allowed to end sessions, ends the
/// session named by its `sid` (and that session's access tokens, and its refresh tokens without
/// `offline_access`); the browser then goes to one of the client's registered post-logout URIs
/// only. A browser signed in to another session is refused instead, so a leaked hint never ends
/// someone's session from inside another login (Better Auth asks that browser to confirm).
struct EndSessionEndpoint: Sendable {
    let clients: ClientRegistry
    let idTokens: IDTokens
    let tokens: TokenStore
    let host: PluginHost

    func handle(_ parameters: [String: String], call: PluginCall) throws -> PluginAnswer {
        guard let hint = parameters["id_token_hint"], !hint.isEmpty else { throw OAuthFailure.invalidRequest("id_token_hint is required") }
        guard let claims = try idTokens.verify(hint), let audience = claims["aud"]?.stringValue ?? claims["aud"]?.arrayValue?.first?.stringValue,
              let client = try clients.client(audience)
        else { throw OAuthFailure(error: "invalid_token", description: "id_token_hint is not an ID token of this issuer", status: 401) }
        if let clientID = parameters["client_id"], clientID != client.clientID {
            throw OAuthFailure.invalidRequest("client_id does not match the id_token_hint")
        }
        guard client.enableEndSession else {
            throw OAuthFailure(error: "invalid_client", description: "this client may not end sessions", status: 401)
        }
        let target = parameters["post_logout_redirect_uri"]
        if let target, !client.postLogoutRedirectURIs.contains(target) {
            throw OAuthFailure.invalidRequest("post_logout_redirect_uri is not registered for this client")
        }
        guard let sessionID = claims["sid"]?.stringValue else { throw OAuthFailure.invalidRequest("id_token_hint names no session") }
        let current = try host.session(of: call)?["session"]?["id"]?.stringValue
        if let current, current != sessionID {
            throw OAuthFailure.invalidRequest("this browser is signed in to another session; sign out from the app instead")
        }
        // Tokens first: deleting the session sets their `sessionId` to null.
        try tokens.revokeSessionTokens(sessionID)
        if let token = try PluginDatabase(host: host).findOne("session", [PluginDatabase.equals("id", .string(sessionID))])?["token"]?.stringValue {
            _ = try host.call("sessions.delete", ["token": .string(token)])
        }
        var answer = target.map { target in
            PluginAnswer.status(302).header("location", parameters["state"].map { URLText.setting("state", to: $0, in: target) } ?? target)
        } ?? .json(["status": true])
        if current != nil { answer = answer.expireCookie("session_token") }
        return answer
    }
}
