import GatehouseJSON
import OrderedCollections

/// The one metadata document served as OpenID Provider Configuration (OpenID Connect Discovery
/// §3) and as OAuth Authorization Server Metadata (RFC 8414 §2).
struct Discovery: Sendable {
    let settings: OAuthProviderSettings
    let issuer: String

    func document(signingAlgorithm: String) -> JSONValue {
        var document: OrderedDictionary<String, JSONValue> = [
            "issuer": .string(issuer),
            "authorization_endpoint": .string(issuer + "/oauth2/authorize"),
            "token_endpoint": .string(issuer + "/oauth2/token"),
            "userinfo_endpoint": .string(issuer + "/oauth2/userinfo"),
            "jwks_uri": .string(issuer + "/jwks"), // the jwt plugin's
            "introspection_endpoint": .string(issuer + "/oauth2/introspect"),
            "revocation_endpoint": .string(issuer + "/oauth2/revoke"),
            "end_session_endpoint": .string(issuer + "/oauth2/end-session"),
        ]
        if settings.allowDynamicClientRegistration { document["registration_endpoint"] = .string(issuer + "/oauth2/register") }
        let authMethods: JSONValue = ["client_secret_basic", "client_secret_post", "none"]
        document["scopes_supported"] = .array(settings.scopes.map(JSONValue.string))
        document["response_types_supported"] = ["code"]
        document["response_modes_supported"] = ["query"]
        document["grant_types_supported"] = ["authorization_code", "refresh_token", "client_credentials"]
        document["subject_types_supported"] = ["public"]
        document["id_token_signing_alg_values_supported"] = [.string(signingAlgorithm)]
        document["token_endpoint_auth_methods_supported"] = authMethods
        document["introspection_endpoint_auth_methods_supported"] = authMethods
        document["revocation_endpoint_auth_methods_supported"] = authMethods
        document["code_challenge_methods_supported"] = ["S256"]
        document["claims_supported"] = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid", "name", "picture",
                                        "given_name", "family_name", "email", "email_verified"]
        document["prompt_values_supported"] = ["none", "login", "consent"]
        document["authorization_response_iss_parameter_supported"] = true
        return .object(document)
    }
}
