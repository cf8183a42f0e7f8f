import Foundation
import GatehouseJSON
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
        saml?["spMetadata"]?["entityID"]?.stringValue ?? saml?["audience"]?.stringValue ?? issuer
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
}

/// The `ssoProvider` table.
struct SSOProviders: Sendable {
    static let table = "ssoProvider"
    let db: PluginDatabase

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
        if let saml { try Self.validateSAML(saml) }
        if let oidc, oidc.objectValue == nil || oidc["clientId"]?.stringValue == nil {
            throw PluginError(code: "INVALID_OIDC_CONFIG", message: "oidcConfig needs a clientId")
        }
        if try find(providerID: providerID) != nil {
            throw PluginError(status: 422, code: "PROVIDER_ALREADY_EXISTS", message: "An SSO provider with this providerId already exists")
        }
        let row = try db.create(Self.table, [
            "providerId": .string(providerID), "issuer": .string(issuer), "domain": .string(domain), "userId": .string(userID),
            "organizationId": body["organizationId"]?.nonNull ?? .null,
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
