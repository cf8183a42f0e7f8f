import GatehouseJSON
import PluginKit

/// `GET|POST /oauth2/end-session` (OpenID Connect RP-Initiated Logout 1.0): an ID token of this
/// issuer, from a client allowed to end sessions, signs out the Gatehouse session named by its
/// `sid`; the browser then goes to one of the client's registered post-logout URIs only.
struct EndSessionEndpoint: Sendable {
    let clients: ClientRegistry
    let idTokens: IDTokens
    let host: PluginHost

    func handle(_ parameters: [String: String]) throws -> PluginAnswer {
        guard let hint = parameters["id_token_hint"], !hint.isEmpty else { throw OAuthFailure.invalidRequest("id_token_hint is required") }
        guard let claims = try idTokens.verify(hint), let audience = claims["aud"]?.stringValue ?? claims["aud"]?.arrayValue?.first?.stringValue,
              let client = try clients.client(audience)
        else { throw OAuthFailure.invalidRequest("id_token_hint is not an ID token of this issuer") }
        if let clientID = parameters["client_id"], clientID != client.clientID {
            throw OAuthFailure.invalidRequest("client_id does not match the id_token_hint")
        }
        guard client.enableEndSession else {
            throw OAuthFailure(error: "unauthorized_client", description: "this client may not end sessions", status: 401)
        }
        let target = parameters["post_logout_redirect_uri"]
        if let target, !client.postLogoutRedirectURIs.contains(target) {
            throw OAuthFailure.invalidRequest("post_logout_redirect_uri is not registered for this client")
        }
        if let sessionID = claims["sid"]?.stringValue {
            try PluginDatabase(host: host).delete("session", [PluginDatabase.equals("id", .string(sessionID))])
        }
        guard let target else { return .json(["status": true]) }
        let url = parameters["state"].map { URLText.setting("state", to: $0, in: target) } ?? target
        return PluginAnswer.status(302).header("location", url)
    }
}
