import GatehouseJSON

/// The sso plugin's routes, tables and job (docs/plugin-abi.md §8).
enum SSOManifest {
    enum Route: Int, CaseIterable {
        case register, signIn, acs, metadata, callback, providers, getProvider, updateProvider, deleteProvider
    }

    static let purgeJob = "purge"

    static let json: JSONValue = [
        "endpoints": [
            ["method": "POST", "path": "/sso/register", "auth": "session", "envelope": ["session", "body"],
             "summary": "Register an SSO provider (SAML or OIDC)", "statuses": [404, 422]],
            ["method": "POST", "path": "/sign-in/sso", "envelope": ["body"],
             "summary": "Start a sign-in with an SSO provider", "statuses": [404]],
            // The IdP's cross-site form POST: exempt from the origin check (ABI 1.3).
            ["method": "POST", "path": "/sso/saml2/sp/acs/:providerId", "acceptsForm": true, "originCheck": false,
             "envelope": ["body", "params"], "summary": "SAML assertion consumer service (HTTP-POST)", "statuses": [302, 404]],
            ["method": "GET", "path": "/sso/saml2/sp/metadata", "envelope": ["query"],
             "query": ["properties": [["name": "providerId", "type": "string", "required": true]]],
             "summary": "SAML service provider metadata", "statuses": [404]],
            ["method": "GET", "path": "/sso/callback/:providerId", "envelope": ["query", "params", "headers"],
             "summary": "OIDC redirect URI", "statuses": [302, 404]],
            ["method": "GET", "path": "/sso/providers", "auth": "session", "envelope": ["session"],
             "summary": "The SSO providers the caller manages"],
            ["method": "GET", "path": "/sso/get-provider", "auth": "session", "envelope": ["session", "query"],
             "query": ["properties": [["name": "providerId", "type": "string", "required": true]]], "summary": "One SSO provider", "statuses": [404]],
            ["method": "POST", "path": "/sso/update-provider", "auth": "session", "envelope": ["session", "body"],
             "body": ["properties": [["name": "providerId", "type": "string", "required": true]]], "summary": "Change an SSO provider", "statuses": [404]],
            ["method": "POST", "path": "/sso/delete-provider", "auth": "session", "envelope": ["session", "body"],
             "body": ["properties": [["name": "providerId", "type": "string", "required": true]]], "summary": "Delete an SSO provider", "statuses": [404]],
        ],
        // Organizations are read and joined through the organization plugin's services.
        "uses": [["plugin": "organization", "optional": true]],
        "schema": ["tables": [
            ["name": "ssoProvider", "fields": [
                ["name": "issuer", "type": "string"],
                ["name": "oidcConfig", "type": "string", "required": false],
                ["name": "samlConfig", "type": "string", "required": false],
                ["name": "userId", "type": "string", "references": ["model": "user", "field": "id", "onDelete": "cascade"]],
                ["name": "providerId", "type": "string", "unique": true],
                ["name": "organizationId", "type": "string", "required": false],
                ["name": "domain", "type": "string"],
            ]],
            // Assertion IDs already used, per provider, until they expire: a replay fails on any
            // instance, since the insert of a used ID breaks the unique key.
            ["name": "ssoAssertion", "fields": [
                ["name": "providerId", "type": "string"],
                ["name": "assertionId", "type": "string"],
                ["name": "expiresAt", "type": "date", "index": true],
            ], "uniqueTogether": [["providerId", "assertionId"]]],
        ]],
        "jobs": [["name": .string(purgeJob), "everySeconds": 3600]],
        "errorCodes": [
            "PROVIDER_NOT_FOUND": "No SSO provider matches",
            "PROVIDER_ALREADY_EXISTS": "An SSO provider with this providerId already exists",
            "INVALID_SAML_CONFIG": "Invalid SAML configuration",
            "INVALID_PROVIDER_CONFIG": "Give exactly one of samlConfig and oidcConfig",
        ],
    ]
}
