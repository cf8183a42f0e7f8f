import GatehouseJSON

/// Turns `socialProviders.<id>` settings (YAML or a plugin's JSON) into an `OAuthProvider`:
/// a built-in provider by id, or a generic OpenID / OAuth 2.0 provider from its discovery
/// URL or endpoints. Explicit endpoint keys win over the catalogue and over discovery.
public enum ProviderSettings {
    public struct Invalid: Error, Sendable {
        /// The offending key below the provider, nil for the provider as a whole.
        public let key: String?
        public let message: String
    }

    enum Kind { case string, bool, stringList }

    static let keys: [String: Kind] = [
        "clientId": .string, "clientSecret": .string, "scopes": .stringList, "disableDefaultScope": .bool, "redirectURI": .string,
        "discoveryUrl": .string, "authorizationEndpoint": .string, "tokenEndpoint": .string, "userInfoEndpoint": .string,
        "jwksUri": .string, "issuer": .string, "accountIssuer": .string, "pkce": .bool, "tokenEndpointAuthentication": .string,
        "prompt": .string, "accessType": .string, "hd": .string, "tenantId": .string, "authority": .string,
        "appBundleIdentifier": .string, "teamId": .string, "keyId": .string, "privateKey": .string,
        "disableSignUp": .bool, "disableImplicitSignUp": .bool, "disableIdTokenSignIn": .bool, "overrideUserInfoOnSignIn": .bool,
    ]

    /// Option names that may also come from the environment, e.g. `clientSecret`.
    public static var environmentKeys: [(key: String, isList: Bool, isBool: Bool)] {
        keys.sorted { $0.key < $1.key }.map { ($0.key, $0.value == .stringList, $0.value == .bool) }
    }

    public static var builtInIDs: [String] { BuiltInProviders.ids }

    /// Typed access to one provider's settings; a value of the wrong type is `Invalid`.
    struct Reader {
        let values: JSONValue

        func string(_ key: String) throws(Invalid) -> String? {
            guard let value = values[key], !value.isNull else { return nil }
            guard let text = value.stringValue, !text.isEmpty else { throw Invalid(key: key, message: "must be a non-empty string") }
            return text
        }

        func bool(_ key: String) throws(Invalid) -> Bool? {
            guard let value = values[key], !value.isNull else { return nil }
            guard let flag = value.boolValue else { throw Invalid(key: key, message: "must be true or false") }
            return flag
        }

        func list(_ key: String) throws(Invalid) -> [String]? {
            guard let value = values[key], !value.isNull else { return nil }
            if let text = value.stringValue { return text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init) }
            guard let items = value.arrayValue?.compactMap(\.stringValue), items.count == value.arrayValue?.count else {
                throw Invalid(key: key, message: "must be a list of strings")
            }
            return items
        }

        func url(_ key: String) throws(Invalid) -> String? {
            guard let text = try string(key) else { return nil }
            let lower = text.lowercased()
            guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else { throw Invalid(key: key, message: "must be an http(s) URL") }
            return text
        }
    }

    public static func provider(id: String, _ settings: JSONValue) throws(Invalid) -> OAuthProvider {
        guard !id.isEmpty, id.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }) else {
            throw Invalid(key: nil, message: "a provider id may contain only a-z, 0-9, - and _")
        }
        guard let members = settings.objectValue else { throw Invalid(key: nil, message: "must be a mapping") }
        for key in members.keys where keys[key] == nil { throw Invalid(key: key, message: "unknown key") }
        let reader = Reader(values: settings)
        guard let clientID = try reader.string("clientId") else { throw Invalid(key: "clientId", message: "is required") }
        let secret = try clientSecret(reader)

        var provider: OAuthProvider
        if let builtIn = try BuiltInProviders.make(id, clientID: clientID, secret: secret, settings: reader) {
            provider = builtIn
        } else if let openID = try genericKind(reader) {
            // A generic provider: OpenID Connect when discovered, plain OAuth 2.0 otherwise.
            provider = OAuthProvider(id: id, clientID: clientID, clientSecret: secret,
                                     scopes: openID ? ["openid", "email", "profile"] : [], profile: .openID, supportsIDToken: openID)
        } else {
            throw Invalid(key: nil, message: "\"\(id)\" is not a built-in provider (\(BuiltInProviders.ids.joined(separator: ", "))); give discoveryUrl for an OpenID provider, or authorizationEndpoint and tokenEndpoint")
        }
        try apply(reader, to: &provider)
        return provider
    }

    /// For an id outside the catalogue: true (OpenID, discovered), false (plain OAuth 2.0
    /// with both endpoints given) or nil (not enough to reach it).
    private static func genericKind(_ reader: Reader) throws(Invalid) -> Bool? {
        if try reader.url("discoveryUrl") != nil { return true }
        let authorization = try reader.url("authorizationEndpoint"), token = try reader.url("tokenEndpoint")
        return authorization != nil && token != nil ? false : nil
    }

    private static func clientSecret(_ reader: Reader) throws(Invalid) -> ClientSecret {
        if let secret = try reader.string("clientSecret") { return .fixed(secret) }
        guard let privateKey = try reader.string("privateKey") else { return .none }
        guard let teamID = try reader.string("teamId"), let keyID = try reader.string("keyId") else {
            throw Invalid(key: "privateKey", message: "needs teamId and keyId to sign Apple's client secret")
        }
        do { return .appleJWT(try AppleClientSecret(teamID: teamID, keyID: keyID, privateKeyPEM: privateKey)) } catch {
            throw Invalid(key: "privateKey", message: "is not a P-256 private key in PEM form")
        }
    }

    private static func apply(_ reader: Reader, to provider: inout OAuthProvider) throws(Invalid) {
        if let url = try reader.url("discoveryUrl") {
            // A discovery document replaces the catalogue's endpoints; explicit keys below still win.
            provider.discoveryURL = url
            provider.authorizationEndpoint = nil
            provider.tokenEndpoint = nil
            provider.userInfoEndpoint = nil
            provider.jwksURI = nil
            provider.idTokenIssuers = []
            provider.accountIssuer = nil
        }
        if let url = try reader.url("authorizationEndpoint") { provider.authorizationEndpoint = url }
        if let url = try reader.url("tokenEndpoint") { provider.tokenEndpoint = url }
        if let url = try reader.url("userInfoEndpoint") { provider.userInfoEndpoint = url }
        if let url = try reader.url("jwksUri") { provider.jwksURI = url }
        if let issuer = try reader.string("issuer"), provider.profile != .gitlab { provider.idTokenIssuers = [issuer] }
        if let issuer = try reader.string("accountIssuer") { provider.accountIssuer = issuer }
        if try reader.bool("disableDefaultScope") == true { provider.scopes = [] }
        for scope in try reader.list("scopes") ?? [] where !provider.scopes.contains(scope) { provider.scopes.append(scope) }
        if let redirect = try reader.url("redirectURI") { provider.redirectURI = redirect }
        if let pkce = try reader.bool("pkce") { provider.pkce = pkce }
        if let method = try reader.string("tokenEndpointAuthentication") {
            guard let parsed = OAuthProvider.ClientAuthentication(rawValue: method) else {
                throw Invalid(key: "tokenEndpointAuthentication", message: "must be client_secret_basic or client_secret_post")
            }
            provider.clientAuthentication = parsed
        }
        provider.prompt = try reader.string("prompt")
        provider.disableSignUp = try reader.bool("disableSignUp") ?? false
        provider.disableImplicitSignUp = try reader.bool("disableImplicitSignUp") ?? false
        provider.overrideUserInfoOnSignIn = try reader.bool("overrideUserInfoOnSignIn") ?? false
        if try reader.bool("disableIdTokenSignIn") == true { provider.supportsIDToken = false }
        guard provider.authorizationEndpoint != nil || provider.discoveryURL != nil else {
            throw Invalid(key: "authorizationEndpoint", message: "is required without discoveryUrl")
        }
    }
}
