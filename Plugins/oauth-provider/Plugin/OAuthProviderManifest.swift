import GatehouseJSON
import OrderedCollections

/// What the plugin adds (docs/plugin-abi.md §8): the OAuth 2.1 / OpenID Provider routes, the
/// hooks that continue an authorization after sign-in, Better Auth's four tables, and the jwt
/// plugin whose keys sign ID tokens.
enum OAuthProviderManifest {
    /// Endpoint indices, in manifest order.
    enum Endpoint: Int, CaseIterable {
        case openIDConfiguration, authorizationServerMetadata, authorizationServerMetadataAtRoot
        case authorizeGet, authorizePost, consent, token, userInfoGet, userInfoPost, introspect, revoke, endSessionGet, endSessionPost, register
    }

    /// The routes that sign in: before-hooks check `oauth_query`, after-hooks continue the authorization.
    static let signInMatchers = ["/sign-in/**", "/sign-up/**"]

    static let json: JSONValue = [
        "endpoints": [
            route("GET", "/.well-known/openid-configuration", "OpenID Provider configuration"),
            route("GET", "/.well-known/oauth-authorization-server", "OAuth 2.0 authorization server metadata (RFC 8414)"),
            // RFC 8414 §3.1: the same document at /.well-known/oauth-authorization-server{basePath}.
            route("GET", "/.well-known/oauth-authorization-server", "OAuth 2.0 authorization server metadata at the server root", extra: ["wellKnown": true]),
            route("GET", "/oauth2/authorize", "Authorization endpoint: redirects to the login page, the consent page or the client", envelope: ["query", "headers"],
                  query: ["response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "nonce", "prompt"],
                  extra: ["statuses": [302]]),
            // A relying party's form posts across sites by design; the answer only redirects.
            route("POST", "/oauth2/authorize", "Authorization endpoint (form post)", envelope: ["body", "headers"],
                  extra: ["acceptsForm": true, "originCheck": false, "statuses": [302]]),
            route("POST", "/oauth2/consent", "Grant or deny the client the requested scopes; answers {redirect, url}", auth: "session",
                  envelope: ["body", "session"], body: [("accept", "boolean", true), ("scope", "string", false), ("oauth_query", "string", true)]),
            route("POST", "/oauth2/token", "Token endpoint: authorization_code, refresh_token and client_credentials grants", envelope: ["body", "headers"],
                  extra: ["acceptsForm": true, "originCheck": false, "statuses": [401]]),
            route("GET", "/oauth2/userinfo", "OpenID Connect UserInfo", envelope: ["headers"], extra: ["statuses": [401]]),
            route("POST", "/oauth2/userinfo", "OpenID Connect UserInfo (POST)", envelope: ["headers"], extra: ["acceptsForm": true, "originCheck": false, "statuses": [401]]),
            route("POST", "/oauth2/introspect", "Token introspection (RFC 7662)", envelope: ["body", "headers"], extra: ["acceptsForm": true, "originCheck": false, "statuses": [401]]),
            route("POST", "/oauth2/revoke", "Token revocation (RFC 7009)", envelope: ["body", "headers"], extra: ["acceptsForm": true, "originCheck": false, "statuses": [401]]),
            route("GET", "/oauth2/end-session", "RP-initiated logout", envelope: ["query", "headers"],
                  query: ["id_token_hint", "post_logout_redirect_uri", "state", "client_id"], extra: ["statuses": [302, 401]]),
            route("POST", "/oauth2/end-session", "RP-initiated logout (form post; the ID token is the proof)", envelope: ["body", "headers"],
                  extra: ["acceptsForm": true, "originCheck": false, "statuses": [302, 401]]),
            route("POST", "/oauth2/register", "Dynamic client registration (RFC 7591)", envelope: ["body", "headers", "session"],
                  extra: ["statuses": [201, 401]]),
        ],
        "hooks": [
            "before": .array(signInMatchers.map { ["matcher": .string($0), "envelope": ["body"]] }),
            // After every other hook, so a sign-in a second factor turned into a challenge is not continued.
            "after": .array(signInMatchers.map { ["matcher": .string($0), "whenNewSession": true, "runsLast": true, "envelope": ["body", "newSession"]] }),
        ],
        "uses": ["jwt"],
        "schema": ["tables": [
            table("oauthClient", [
                field("clientId", "string", unique: true), field("clientSecret", "string", required: false),
                field("disabled", "boolean", required: false, default: false), field("skipConsent", "boolean", required: false),
                field("enableEndSession", "boolean", required: false), field("subjectType", "string", required: false),
                field("scopes", "string[]", required: false), field("clientCredentialsScopes", "string[]", required: false),
                field("userId", "string", required: false, index: true, references: "user"),
                field("createdAt", "date", required: false), field("updatedAt", "date", required: false),
                field("name", "string", required: false), field("uri", "string", required: false), field("icon", "string", required: false),
                field("contacts", "string[]", required: false), field("tos", "string", required: false), field("policy", "string", required: false),
                field("softwareId", "string", required: false), field("softwareVersion", "string", required: false),
                field("softwareStatement", "string", required: false), field("redirectUris", "string[]"),
                field("postLogoutRedirectUris", "string[]", required: false), field("tokenEndpointAuthMethod", "string", required: false),
                field("applicationType", "string", required: false), field("grantTypes", "string[]", required: false),
                field("responseTypes", "string[]", required: false), field("requirePKCE", "boolean", required: false),
                field("referenceId", "string", required: false), field("metadata", "json", required: false),
            ]),
            table("oauthRefreshToken", [
                field("token", "string", unique: true), field("clientId", "string", index: true),
                field("sessionId", "string", required: false, index: true, references: "session", onDelete: "set null"),
                field("userId", "string", index: true, references: "user"), field("referenceId", "string", required: false),
                field("authorizationCodeId", "string", required: false, index: true), field("expiresAt", "date"), field("createdAt", "date"),
                field("revoked", "date", required: false), field("rotatedAt", "date", required: false), field("authTime", "date", required: false),
                field("scopes", "string[]"),
            ]),
            table("oauthAccessToken", [
                field("token", "string", unique: true), field("clientId", "string", index: true),
                field("sessionId", "string", required: false, index: true, references: "session", onDelete: "set null"),
                field("userId", "string", required: false, index: true, references: "user"), field("referenceId", "string", required: false),
                field("authorizationCodeId", "string", required: false, index: true),
                field("refreshId", "string", required: false, index: true, references: "oauthRefreshToken"),
                field("expiresAt", "date"), field("createdAt", "date"), field("revoked", "date", required: false), field("scopes", "string[]"),
            ]),
            table("oauthConsent", [
                field("clientId", "string", index: true), field("userId", "string", required: false, index: true, references: "user"),
                field("referenceId", "string", required: false), field("scopes", "string[]"), field("createdAt", "date"), field("updatedAt", "date"),
            ]),
        ]],
        "errorCodes": [
            "invalid_request": "The request is missing a parameter or is malformed",
            "invalid_client": "Client authentication failed",
            "invalid_grant": "The grant is invalid, expired, revoked or issued to another client",
            "unauthorized_client": "The client may not use this grant",
            "unsupported_grant_type": "The grant type is not supported",
            "invalid_scope": "The requested scope is invalid or exceeds the granted one",
            "invalid_token": "The access token is invalid",
            "invalid_signature": "The authorization request was altered or has expired",
            "invalid_redirect_uri": "A redirect URI is not acceptable",
            "invalid_client_metadata": "The client metadata is not acceptable",
        ],
    ]

    private static func route(_ method: String, _ path: String, _ summary: String, auth: String = "none", envelope: [String] = [],
                              query: [String] = [], body: [(String, String, Bool)] = [], extra: OrderedDictionary<String, JSONValue> = [:]) -> JSONValue {
        var entry: OrderedDictionary<String, JSONValue> = ["method": .string(method), "path": .string(path), "summary": .string(summary), "auth": .string(auth),
                                          "envelope": .array(envelope.map(JSONValue.string))]
        if !query.isEmpty { entry["query"] = ["properties": .array(query.map { ["name": .string($0), "type": "string"] })] }
        if !body.isEmpty {
            entry["body"] = ["properties": .array(body.map { ["name": .string($0.0), "type": .string($0.1), "required": .bool($0.2)] })]
        }
        for (key, value) in extra { entry[key] = value }
        return .object(entry)
    }

    private static func table(_ name: String, _ fields: [JSONValue]) -> JSONValue { ["name": .string(name), "fields": .array(fields)] }

    private static func field(_ name: String, _ type: String, required: Bool = true, unique: Bool = false, index: Bool = false,
                              default value: JSONValue? = nil, references: String? = nil, onDelete: String = "cascade") -> JSONValue {
        var field: OrderedDictionary<String, JSONValue> = ["name": .string(name), "type": .string(type), "required": .bool(required)]
        if unique { field["unique"] = true }
        if index { field["index"] = true }
        if let value { field["defaultValue"] = value }
        if let references { field["references"] = ["model": .string(references), "field": "id", "onDelete": .string(onDelete)] }
        return .object(field)
    }
}
