import Foundation
import GatehouseJSON
import OrderedCollections
import PluginKit

/// `POST /oauth2/register` (RFC 7591): a signed-in user (or anyone, with
/// `allowUnauthenticatedClientRegistration`) registers a client. The secret is shown once and
/// stored hashed; `skip_consent` and other privileges are never self-granted.
struct ClientRegistration: Sendable {
    let settings: OAuthProviderSettings
    let host: PluginHost

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        guard settings.allowDynamicClientRegistration else {
            throw OAuthFailure(error: "access_denied", description: "client registration is disabled", status: 403)
        }
        let session = try host.session(of: call)
        guard session != nil || settings.allowUnauthenticatedClientRegistration else {
            throw OAuthFailure(error: "invalid_token", description: "sign in to register a client", status: 401)
        }
        let body = call.body
        guard body.objectValue != nil else { throw OAuthFailure(error: "invalid_client_metadata", description: "the body must be a JSON object") }
        let metadata: ClientMetadata
        do {
            metadata = try ClientMetadata(body, strictRedirects: true)
        } catch let problem as ClientMetadataProblem {
            throw OAuthFailure(error: problem.error, description: problem.description)
        }
        // A client acting for itself is a privilege an anonymous caller does not grant itself.
        if metadata.grantTypes.contains("client_credentials"), session == nil {
            throw OAuthFailure(error: "invalid_client_metadata", description: "sign in to register a client_credentials client")
        }
        let clientID = host.randomToken()
        let secret = metadata.authMethod == .none ? nil : host.randomToken()
        let now = Date()
        let optional = [("client_uri", "uri"), ("logo_uri", "icon"), ("policy_uri", "policy"), ("software_id", "softwareId"),
                        ("software_version", "softwareVersion"), ("tos_uri", "tos")]
        var row: OrderedDictionary<String, JSONValue> = [
            "clientId": .string(clientID), "redirectUris": strings(metadata.redirectURIs),
            "postLogoutRedirectUris": strings(metadata.postLogoutRedirectURIs), "tokenEndpointAuthMethod": .string(metadata.authMethod.rawValue),
            "grantTypes": strings(metadata.grantTypes), "responseTypes": ["code"], "applicationType": .string(metadata.applicationType),
            "skipConsent": false, "disabled": false, "createdAt": .string(ISODate.format(now)), "updatedAt": .string(ISODate.format(now)),
        ]
        if let secret { row["clientSecret"] = .string(try host.hashedKey(secret)) }
        if let name = metadata.name { row["name"] = .string(name) }
        if let userID = session?["user"]?["id"] { row["userId"] = userID }
        for (member, field) in optional { if let text = body[member]?.stringValue { row[field] = .string(text) } }
        try PluginDatabase(host: host).create("oauthClient", .object(row))

        var answer: OrderedDictionary<String, JSONValue> = ["client_id": .string(clientID)]
        if let secret {
            answer["client_secret"] = .string(secret)
            answer["client_secret_expires_at"] = 0
        }
        answer["client_id_issued_at"] = .int(Int(now.timeIntervalSince1970))
        if let name = metadata.name { answer["client_name"] = .string(name) }
        answer["redirect_uris"] = strings(metadata.redirectURIs)
        if !metadata.postLogoutRedirectURIs.isEmpty { answer["post_logout_redirect_uris"] = strings(metadata.postLogoutRedirectURIs) }
        answer["token_endpoint_auth_method"] = .string(metadata.authMethod.rawValue)
        answer["grant_types"] = strings(metadata.grantTypes)
        answer["response_types"] = ["code"]
        answer["application_type"] = .string(metadata.applicationType)
        for (member, _) in optional { if let text = body[member]?.stringValue { answer[member] = .string(text) } }
        return .json(.object(answer), status: 201).header("cache-control", "no-store").header("pragma", "no-cache")
    }

    private func strings(_ list: [String]) -> JSONValue { .array(list.map(JSONValue.string)) }
}
