import Foundation
import GatehouseJSON
import PluginKit

/// A registered relying party: from configuration (`plugins.oauth-provider.clients`) or from the
/// `oauthClient` table (dynamic registration). Its secret is only ever held hashed.
struct OAuthClient: Sendable {
    enum AuthMethod: String, Sendable, CaseIterable {
        case clientSecretBasic = "client_secret_basic"
        case clientSecretPost = "client_secret_post"
        case none
    }

    static let grantTypes: Set<String> = ["authorization_code", "refresh_token", "client_credentials"]

    var clientID: String
    /// base64url(SHA-256(secret)), Better Auth's hashed `clientSecret`; nil for public clients.
    var secretHash: String?
    var redirectURIs: [String]
    var postLogoutRedirectURIs: [String]
    var authMethod: AuthMethod
    var grantTypes: [String]
    /// Only configured clients may skip consent: a registration never grants it to itself.
    var skipConsent = false
    var enableEndSession = false
    var clientCredentialsScopes: [String] = []
    var disabled = false

    var isPublic: Bool { authMethod == .none }

    /// A client from configuration, in RFC 7591 names plus `skip_consent`, `enable_end_session`
    /// and `client_credentials_scopes`. Loopback and plain-http redirects are the operator's call.
    init(configured json: JSONValue, hashSecret: (String) throws -> String) throws {
        guard json.objectValue != nil else { throw ClientMetadataProblem.metadata("must be an object") }
        guard let id = json["client_id"]?.stringValue, !id.isEmpty else { throw ClientMetadataProblem.metadata("client_id must be a non-empty string") }
        let metadata = try ClientMetadata(json, strictRedirects: false)
        clientID = id
        redirectURIs = metadata.redirectURIs
        postLogoutRedirectURIs = metadata.postLogoutRedirectURIs
        authMethod = metadata.authMethod
        grantTypes = metadata.grantTypes
        let secret = json["client_secret"]?.nonNull
        switch (authMethod, secret?.stringValue) {
        case (.none, nil): secretHash = nil
        case (.none, _): throw ClientMetadataProblem.metadata("client_secret must not be set for token_endpoint_auth_method none")
        case (_, let text?) where text.count >= 16: secretHash = try hashSecret(text)
        default: throw ClientMetadataProblem.metadata("client_secret must be a string of at least 16 characters")
        }
        skipConsent = try Self.flag(json, "skip_consent")
        enableEndSession = try Self.flag(json, "enable_end_session")
        if let scopes = json["client_credentials_scopes"]?.nonNull {
            guard let names = scopes.arrayValue?.compactMap(\.stringValue), names.count == scopes.arrayValue?.count,
                  names.allSatisfy({ OAuthScopes.isValidName($0) && !OAuthScopes.userScopes.contains($0) })
            else { throw ClientMetadataProblem.metadata("client_credentials_scopes must list scope names other than openid, profile, email and offline_access") }
            clientCredentialsScopes = names
        }
    }

    /// A client from its `oauthClient` row.
    init?(row: JSONValue) {
        guard let id = row["clientId"]?.stringValue else { return nil }
        clientID = id
        secretHash = row["clientSecret"]?.stringValue
        redirectURIs = StoredList.strings(row["redirectUris"])
        postLogoutRedirectURIs = StoredList.strings(row["postLogoutRedirectUris"])
        authMethod = row["tokenEndpointAuthMethod"]?.stringValue.flatMap(AuthMethod.init(rawValue:)) ?? .clientSecretBasic
        grantTypes = row["grantTypes"]?.nonNull.map(StoredList.strings) ?? ["authorization_code"]
        skipConsent = row["skipConsent"]?.boolValue ?? false
        enableEndSession = row["enableEndSession"]?.boolValue ?? false
        clientCredentialsScopes = StoredList.strings(row["clientCredentialsScopes"])
        disabled = row["disabled"]?.boolValue ?? false
    }

    private static func flag(_ json: JSONValue, _ key: String) throws -> Bool {
        guard let value = json[key]?.nonNull else { return false }
        guard let flag = value.boolValue else { throw ClientMetadataProblem.metadata("\(key) must be true or false") }
        return flag
    }
}

/// Why client metadata is refused, as RFC 7591 §3.2.2 names it.
struct ClientMetadataProblem: Error, CustomStringConvertible {
    let error: String
    let description: String

    static func metadata(_ description: String) -> ClientMetadataProblem { .init(error: "invalid_client_metadata", description: description) }
    static func redirect(_ description: String) -> ClientMetadataProblem { .init(error: "invalid_redirect_uri", description: description) }
}

/// The RFC 7591 metadata Gatehouse reads, checked. Unknown members are ignored (§2).
struct ClientMetadata {
    var name: String?
    var redirectURIs: [String]
    var postLogoutRedirectURIs: [String]
    var authMethod: OAuthClient.AuthMethod
    var grantTypes: [String]
    var applicationType: String

    /// `strictRedirects`: a registration's rule, https only for `web` clients and loopback http
    /// for `native` ones (RFC 8252 §7.3); configuration may name any absolute http(s) URL.
    init(_ json: JSONValue, strictRedirects: Bool) throws {
        name = try Self.text(json, "client_name")
        applicationType = try Self.text(json, "application_type") ?? "web"
        guard ["web", "native"].contains(applicationType) else { throw ClientMetadataProblem.metadata("application_type must be web or native") }
        let method = try Self.text(json, "token_endpoint_auth_method") ?? OAuthClient.AuthMethod.clientSecretBasic.rawValue
        guard let authMethod = OAuthClient.AuthMethod(rawValue: method) else {
            throw ClientMetadataProblem.metadata("token_endpoint_auth_method must be client_secret_basic, client_secret_post or none")
        }
        self.authMethod = authMethod
        grantTypes = try Self.list(json, "grant_types") ?? ["authorization_code"]
        guard !grantTypes.isEmpty, grantTypes.allSatisfy(OAuthClient.grantTypes.contains) else {
            throw ClientMetadataProblem.metadata("grant_types may list authorization_code, refresh_token and client_credentials only")
        }
        if let responseTypes = try Self.list(json, "response_types"), responseTypes != ["code"] {
            throw ClientMetadataProblem.metadata("response_types must be [\"code\"]")
        }
        redirectURIs = try Self.list(json, "redirect_uris") ?? []
        postLogoutRedirectURIs = try Self.list(json, "post_logout_redirect_uris") ?? []
        if grantTypes.contains("client_credentials"), authMethod == .none {
            throw ClientMetadataProblem.metadata("a public client (token_endpoint_auth_method none) cannot use client_credentials")
        }
        if grantTypes.contains("authorization_code"), redirectURIs.isEmpty {
            throw ClientMetadataProblem.redirect("redirect_uris must list at least one URI for the authorization_code grant")
        }
        for uri in redirectURIs + postLogoutRedirectURIs {
            try Self.check(uri, native: applicationType == "native", strict: strictRedirects)
        }
    }

    private static func check(_ uri: String, native: Bool, strict: Bool) throws {
        guard let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased(),
              components.host.map({ !$0.isEmpty }) ?? false || (native && scheme != "http" && scheme != "https")
        else { throw ClientMetadataProblem.redirect("\(uri) is not an absolute URI") }
        guard components.fragment == nil, !uri.contains("#") else { throw ClientMetadataProblem.redirect("\(uri) has a fragment") }
        guard strict else {
            guard ["http", "https"].contains(scheme) || native else { throw ClientMetadataProblem.redirect("\(uri) is not an http(s) URI") }
            return
        }
        let loopback = ["127.0.0.1", "[::1]", "::1", "localhost"].contains(components.host?.lowercased() ?? "")
        switch (native, scheme) {
        case (_, "https"): return
        case (true, "http") where loopback: return
        case (true, _) where scheme.contains("."): return // a private-use scheme in reverse-DNS form (RFC 8252 §7.1)
        default:
            throw ClientMetadataProblem.redirect(native ? "\(uri): native clients use https, loopback http or a reverse-DNS private-use scheme"
                                                         : "\(uri): web clients use https redirect URIs")
        }
    }

    private static func text(_ json: JSONValue, _ key: String) throws -> String? {
        guard let value = json[key]?.nonNull else { return nil }
        guard let text = value.stringValue else { throw ClientMetadataProblem.metadata("\(key) must be a string") }
        return text
    }

    private static func list(_ json: JSONValue, _ key: String) throws -> [String]? {
        guard let value = json[key]?.nonNull else { return nil }
        guard let items = value.arrayValue, case let texts = items.compactMap(\.stringValue), texts.count == items.count else {
            throw ClientMetadataProblem.metadata("\(key) must be a list of strings")
        }
        return texts
    }
}
