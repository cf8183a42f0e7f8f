import GatehouseJSON
import PluginKit

/// An OAuth error (RFC 6749 §5.2): `{error, error_description}`, never cached. A client that
/// authenticated with HTTP Basic and failed gets 401 with `WWW-Authenticate` (§5.2).
struct OAuthFailure: Error, Sendable {
    let error: String
    let description: String
    var status = 400
    var basicChallenge = false

    static func invalidRequest(_ description: String) -> OAuthFailure { .init(error: "invalid_request", description: description) }
    static func invalidGrant(_ description: String) -> OAuthFailure { .init(error: "invalid_grant", description: description) }
    static func invalidScope(_ description: String) -> OAuthFailure { .init(error: "invalid_scope", description: description) }
    static func invalidClient(_ description: String, basic: Bool) -> OAuthFailure {
        .init(error: "invalid_client", description: description, status: 401, basicChallenge: basic)
    }
    static func invalidToken(_ description: String) -> OAuthFailure { .init(error: "invalid_token", description: description, status: 401) }

    var answer: PluginAnswer {
        var answer = PluginAnswer.json(["error": .string(error), "error_description": .string(description)], status: status)
            .header("cache-control", "no-store").header("pragma", "no-cache")
        if basicChallenge { answer = answer.header("www-authenticate", #"Basic realm="oauth", error="invalid_client""#) }
        if status == 401, error == "invalid_token" { answer = answer.header("www-authenticate", #"Bearer error="invalid_token""#) }
        return answer
    }
}
