import Foundation
import GatehouseJSON
import OrderedCollections
import PluginKit
import SAML

/// One registered identity provider: a row of `ssoProvider`, its configurations stored as JSON
/// text (Better Auth's columns).
struct SSOProvider: Sendable {
    let id: String
    let providerID: String
    /// The IdP's entity ID (SAML) or the OP's issuer (OIDC).
    let issuer: String
    /// Comma-separated e-mail domains whose users this provider signs in.
    let domain: String
    let organizationID: String?
    let userID: String
    let saml: JSONValue?
    let oidc: JSONValue?

    init?(row: JSONValue) {
        guard let id = row["id"]?.stringValue, let providerID = row["providerId"]?.stringValue, let issuer = row["issuer"]?.stringValue,
              let userID = row["userId"]?.stringValue else { return nil }
        self.id = id
        self.providerID = providerID
        self.issuer = issuer
        domain = row["domain"]?.stringValue ?? ""
        organizationID = row["organizationId"]?.stringValue
        self.userID = userID
        saml = row["samlConfig"]?.stringValue.flatMap { try? JSONValue.parse(Array($0.utf8)) }
        oidc = row["oidcConfig"]?.stringValue.flatMap { try? JSONValue.parse(Array($0.utf8)) }
    }

    /// Whether `email`'s domain is one of this provider's.
    func serves(email: String) -> Bool {
        guard let at = email.lastIndex(of: "@") else { return false }
        let emailDomain = email[email.index(after: at)...].lowercased()
        return domain.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == emailDomain }
    }

    /// The SP's entity ID for this provider: `samlConfig.spMetadata.entityID`, else `issuer`, as
    /// Better Auth falls back.
    var serviceProviderEntityID: String {
        saml?["spMetadata"]?["entityID"]?.stringValue ?? issuer
    }

    /// The Audience an Assertion must name: `samlConfig.audience`, else the SP entity ID.
    var audience: String {
        saml?["audience"]?.stringValue ?? serviceProviderEntityID
    }

    /// The SAML attribute that carries `field` (`samlConfig.mapping`, else the default name).
    func attribute(_ field: String, default name: String) -> String {
        saml?["mapping"]?[field]?.stringValue ?? name
    }

    /// The IdP entity ID an Assertion's Issuer must name.
    var identityProviderEntityID: String {
        saml?["idpMetadata"]?["entityID"]?.stringValue ?? issuer
    }

    /// The API form: the configurations parsed, the OIDC client secret left out.
    var output: JSONValue {
        var oidcOutput = oidc?.objectValue
        oidcOutput?.removeValue(forKey: "clientSecret")
        return [
            "id": .string(id), "providerId": .string(providerID), "issuer": .string(issuer), "domain": .string(domain),
            "organizationId": organizationID.map(JSONValue.string) ?? .null, "userId": .string(userID),
            "samlConfig": saml ?? .null, "oidcConfig": oidcOutput.map(JSONValue.object) ?? .null,
        ]
    }

    /// The management routes' form (Better Auth's sanitized provider): no row id or owner, no
    /// secret or private key; the OIDC client id shown by its last four characters.
    func summary(metadataURL: String) -> JSONValue {
        let samlOutput = saml.map { Self.pick(["entryPoint", "callbackUrl", "idpInitiatedCallbackUrl", "audience", "identifierFormat"], from: $0) }
        var oidcOutput = oidc.map {
            Self.pick(["discoveryEndpoint", "pkce", "authorizationEndpoint", "tokenEndpoint", "userInfoEndpoint", "jwksEndpoint", "scopes"], from: $0)
        }
        if let clientID = oidc?["clientId"]?.stringValue { oidcOutput?["clientIdLastFour"] = .string("****" + clientID.suffix(4)) }
        return [
            "providerId": .string(providerID), "type": saml != nil ? "saml" : "oidc", "issuer": .string(issuer), "domain": .string(domain),
            "organizationId": organizationID.map(JSONValue.string) ?? .null,
            "spMetadataUrl": saml != nil ? .string(metadataURL) : .null,
            "samlConfig": samlOutput.map(JSONValue.object) ?? .null, "oidcConfig": oidcOutput.map(JSONValue.object) ?? .null,
        ]
    }

    /// The members of `object` named in `keys` (an allowlist: nothing else is ever shown).
    private static func pick(_ keys: [String], from object: JSONValue) -> OrderedDictionary<String, JSONValue> {
        var picked = OrderedDictionary<String, JSONValue>()
        for key in keys { if let value = object[key] { picked[key] = value } }
        return picked
    }
}

/// The `ssoProvider` table.
struct SSOProviders: Sendable {
    static let table = "ssoProvider"
    let host: PluginHost
    let db: PluginDatabase
    let organizations: OrganizationLink
    let privateHosts: PrivateHosts
    /// Checks an OIDC configuration's URLs before anything is stored (`OIDCFlow.checkEndpoints`).
    let checkOIDC: @Sendable (_ issuer: String, _ config: JSONValue) throws -> Void

    func find(providerID: String) throws -> SSOProvider? {
        try db.findOne(Self.table, [PluginDatabase.equals("providerId", .string(providerID))]).flatMap(SSOProvider.init(row:))
    }

    func all() throws -> [SSOProvider] {
        try db.findMany(Self.table, []).compactMap(SSOProvider.init(row:))
    }

    /// `POST /sso/register`: validates, refuses a taken providerId (422), stores, answers the provider.
    func register(_ body: JSONValue, userID: String) throws -> SSOProvider {
        let providerID = try Self.providerID(body["providerId"])
        guard let issuer = body["issuer"]?.stringValue, Self.isHTTPURL(issuer) else {
            throw PluginError(code: "INVALID_ISSUER", message: "issuer must be an http(s) URL")
        }
        guard let domain = body["domain"]?.stringValue, !domain.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw PluginError(code: "INVALID_DOMAIN", message: "domain must name at least one e-mail domain")
        }
        let saml = body["samlConfig"]?.nonNull
        let oidc = body["oidcConfig"]?.nonNull
        guard (saml == nil) != (oidc == nil) else {
            throw PluginError(code: "INVALID_PROVIDER_CONFIG", message: "Give exactly one of samlConfig and oidcConfig")
        }
        let reserved = try reservations()
        try validate(issuer: issuer, saml: saml, oidc: oidc, reserved: reserved)
        let organizationID = body["organizationId"]?.nonNull
        if let organizationID {
            guard let id = organizationID.stringValue else { throw PluginError(code: "VALIDATION_ERROR", message: "organizationId must be a string") }
            try organizations.requireAdministrator(userID, of: id)
        }
        guard !reserved.ids.contains(providerID) else {
            throw PluginError(status: 422, code: "PROVIDER_ID_RESERVED", message: "This providerId is reserved and cannot be used for an SSO provider")
        }
        if try find(providerID: providerID) != nil {
            throw PluginError(status: 422, code: "PROVIDER_ALREADY_EXISTS", message: "An SSO provider with this providerId already exists")
        }
        let row = try db.create(Self.table, [
            "providerId": .string(providerID), "issuer": .string(issuer), "domain": .string(domain), "userId": .string(userID),
            "organizationId": organizationID ?? .null,
            "samlConfig": saml.map { .string($0.serialized()) } ?? .null, "oidcConfig": oidc.map { .string($0.serialized()) } ?? .null,
        ])
        guard let provider = SSOProvider(row: row) else { throw PluginError(status: 500, code: "HOST_ERROR", message: "the provider was not stored") }
        return provider
    }

    /// Letters, digits, `-`, `_` and `.`: the id is a path segment of the ACS and callback URLs.
    private static func providerID(_ value: JSONValue?) throws -> String {
        guard let id = value?.stringValue, (1...128).contains(id.count),
              id.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) })
        else { throw PluginError(code: "INVALID_PROVIDER_ID", message: "providerId must be 1 to 128 letters, digits, '-', '_' or '.'") }
        return id
    }

    /// The configuration a provider may be stored with (at registration and after an update).
    func validate(issuer: String, saml: JSONValue?, oidc: JSONValue?, reserved: Reservations) throws {
        // Accounts are keyed by (issuer, accountId): an SSO provider may not take the issuer of
        // the password accounts (`local:…`) or of a configured social provider.
        let accountIssuer = saml?["idpMetadata"]?["entityID"]?.stringValue ?? issuer
        guard !accountIssuer.hasPrefix("local:"), !reserved.issuers.contains(accountIssuer) else {
            throw PluginError(code: "ISSUER_RESERVED", message: "This issuer belongs to another sign-in method")
        }
        if let saml {
            for key in ["idpInitiatedCallbackUrl", "callbackUrl"] {
                if let url = saml[key]?.stringValue, !(try isAllowedRedirect(url)) {
                    throw PluginError(code: "INVALID_SAML_CONFIG", message: "samlConfig.\(key) must be a path or a URL of a trusted origin")
                }
            }
            try Self.validateSAML(saml)
            if let entryPoint = saml["entryPoint"]?.stringValue, try !privateHosts.allows(entryPoint) {
                throw PluginError(code: "INVALID_SAML_CONFIG",
                                  message: "samlConfig.entryPoint is on a private host; add its origin to trustedOrigins")
            }
        }
        if let oidc {
            guard oidc.objectValue != nil, oidc["clientId"]?.stringValue?.isEmpty == false else {
                throw PluginError(code: "INVALID_OIDC_CONFIG", message: "oidcConfig needs a clientId")
            }
            try checkOIDC(issuer, oidc)
        }
    }

    /// `POST /sso/update-provider`: `issuer`, `domain` and members of the provider's own
    /// configuration, merged and checked as at registration.
    func update(_ provider: SSOProvider, with body: JSONValue) throws -> SSOProvider {
        var changes: [(String, JSONValue)] = []
        var issuer = provider.issuer
        if let value = body["issuer"]?.nonNull {
            guard let text = value.stringValue, Self.isHTTPURL(text) else { throw PluginError(code: "INVALID_ISSUER", message: "issuer must be an http(s) URL") }
            issuer = text
            changes.append(("issuer", value))
        }
        if let value = body["domain"]?.nonNull {
            guard let text = value.stringValue, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw PluginError(code: "INVALID_DOMAIN", message: "domain must name at least one e-mail domain")
            }
            changes.append(("domain", value))
        }
        let saml = try Self.merged(provider.saml, body["samlConfig"]?.nonNull, kind: "SAML")
        let oidc = try Self.merged(provider.oidc, body["oidcConfig"]?.nonNull, kind: "OIDC")
        if let saml { changes.append(("samlConfig", .string(saml.serialized()))) }
        if let oidc { changes.append(("oidcConfig", .string(oidc.serialized()))) }
        guard !changes.isEmpty else { throw PluginError(code: "NO_FIELDS", message: "No fields provided for update") }
        try validate(issuer: issuer, saml: saml ?? provider.saml, oidc: oidc ?? provider.oidc, reserved: try reservations())
        try db.update(Self.table, [PluginDatabase.equals("id", .string(provider.id))], .object(.init(uniqueKeysWithValues: changes)))
        guard let updated = try find(providerID: provider.providerID) else {
            throw PluginError(status: 404, code: "PROVIDER_NOT_FOUND", message: "Provider not found")
        }
        return updated
    }

    /// `POST /sso/delete-provider`: the provider and the accounts it signed in (as Better Auth),
    /// those with its providerId and one of its issuers only.
    func delete(_ provider: SSOProvider) throws {
        for issuer in Set([provider.identityProviderEntityID, provider.issuer]) {
            try db.delete("account", [PluginDatabase.equals("providerId", .string(provider.providerID)), PluginDatabase.equals("issuer", .string(issuer))])
        }
        try db.delete(Self.table, [PluginDatabase.equals("id", .string(provider.id))])
    }

    /// Provider ids and account issuers an SSO provider may not take: Better Auth's own sign-in
    /// methods and the operator's social providers (`oauth.providers`).
    struct Reservations {
        let ids: Set<String>
        let issuers: Set<String>
    }

    static let reservedIDs: Set<String> = ["credential", "email-otp", "magic-link", "phone-number", "anonymous", "siwe"]

    func reservations() throws -> Reservations {
        let social = try host.call("oauth.providers", [:])["providers"]?.arrayValue ?? []
        return Reservations(ids: Self.reservedIDs.union(social.compactMap { $0["id"]?.stringValue }),
                            issuers: Set(social.compactMap { $0["issuer"]?.stringValue }))
    }

    /// A landing URL: a path on this server, or a URL of a trusted origin.
    private func isAllowedRedirect(_ url: String) throws -> Bool {
        if url.hasPrefix("/") { return !url.hasPrefix("//") && !url.contains("\\") }
        return try host.call("origins.check", ["url": .string(url)])["trusted"]?.boolValue == true
    }

    /// `current` with the members of `patch`; nil when there is no patch. A provider only takes
    /// its own kind of configuration.
    private static func merged(_ current: JSONValue?, _ patch: JSONValue?, kind: String) throws -> JSONValue? {
        guard let patch else { return nil }
        guard let base = current?.objectValue else {
            throw PluginError(code: "INVALID_PROVIDER_CONFIG", message: "Cannot update \(kind) config for a provider that doesn't have \(kind) configured")
        }
        guard let members = patch.objectValue else { throw PluginError(code: "INVALID_PROVIDER_CONFIG", message: "the \(kind) config must be an object") }
        var result = base
        for (key, value) in members { result[key] = value }
        return .object(result)
    }

    private static func validateSAML(_ saml: JSONValue) throws {
        guard saml.objectValue != nil else { throw PluginError(code: "INVALID_SAML_CONFIG", message: "samlConfig must be an object") }
        guard let entryPoint = saml["entryPoint"]?.stringValue, isHTTPURL(entryPoint) else {
            throw PluginError(code: "INVALID_SAML_CONFIG", message: "samlConfig.entryPoint must be an http(s) URL")
        }
        guard let cert = saml["cert"]?.stringValue, SAMLCertificate.isUsable(cert) else {
            throw PluginError(code: "INVALID_SAML_CONFIG", message: "samlConfig.cert must be the IdP's signing certificate in PEM")
        }
    }

    static func isHTTPURL(_ text: String) -> Bool {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else { return false }
        return ["http", "https"].contains(scheme) && !(components.host ?? "").isEmpty
    }
}
