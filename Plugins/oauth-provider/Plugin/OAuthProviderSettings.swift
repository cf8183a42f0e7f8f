import GatehouseJSON
import PluginKit

/// `plugins.oauth-provider` settings, with Better Auth 1.7.1's option names plus `clients`
/// (clients declared in configuration, RFC 7591 names). An unknown key or a bad value refuses the
/// load with a message naming the key, never the value (client secrets live here).
struct OAuthProviderSettings: Sendable {
    /// Where a signed-out user signs in, and where a user grants access: the app's own pages,
    /// which get the signed authorization query and hand it back as `oauth_query`.
    var loginPage: String
    var consentPage: String
    var scopes = ["openid", "profile", "email", "offline_access"]
    var allowDynamicClientRegistration = false
    var allowUnauthenticatedClientRegistration = false
    var codeExpiresIn = 600
    var accessTokenExpiresIn = 3600
    var refreshTokenExpiresIn = 30 * 86_400
    var idTokenExpiresIn = 10 * 3600
    var clients: [OAuthClient] = []

    static let keys: Set<String> = [
        "loginPage", "consentPage", "scopes", "allowDynamicClientRegistration", "allowUnauthenticatedClientRegistration",
        "codeExpiresIn", "accessTokenExpiresIn", "refreshTokenExpiresIn", "idTokenExpiresIn", "clients",
    ]

    static let refusals: [String: String] = [
        "getAdditionalUserInfoClaim": "is a JavaScript callback",
        "customAccessTokenClaims": "is a JavaScript callback",
        "customIdTokenClaims": "is a JavaScript callback",
        "trustedClients": "is not read here; declare such clients under plugins.oauth-provider.clients",
    ]

    init(_ json: JSONValue, hashSecret: (String) throws -> String) throws {
        let reader = try PluginSettings(json, pluginID: "oauth-provider", keys: Self.keys, refusals: Self.refusals)
        guard let loginPage = try reader.string("loginPage"), URLText.origin(of: loginPage) != nil else {
            throw reader.invalid("loginPage", "must be an absolute URL (the app's sign-in page)")
        }
        guard let consentPage = try reader.string("consentPage"), URLText.origin(of: consentPage) != nil else {
            throw reader.invalid("consentPage", "must be an absolute URL (the app's consent page)")
        }
        self.loginPage = loginPage
        self.consentPage = consentPage
        if let list = reader.value("scopes") {
            guard let names = list.arrayValue?.compactMap(\.stringValue), names.count == list.arrayValue?.count, !names.isEmpty,
                  names.allSatisfy(OAuthScopes.isValidName)
            else { throw reader.invalid("scopes", "must be a non-empty list of scope names") }
            scopes = names
        }
        allowDynamicClientRegistration = try reader.bool("allowDynamicClientRegistration") ?? allowDynamicClientRegistration
        allowUnauthenticatedClientRegistration = try reader.bool("allowUnauthenticatedClientRegistration") ?? allowUnauthenticatedClientRegistration
        codeExpiresIn = try reader.int("codeExpiresIn", in: 1...3600) ?? codeExpiresIn
        accessTokenExpiresIn = try reader.int("accessTokenExpiresIn", in: 1...31_536_000) ?? accessTokenExpiresIn
        refreshTokenExpiresIn = try reader.int("refreshTokenExpiresIn", in: 1...315_360_000) ?? refreshTokenExpiresIn
        idTokenExpiresIn = try reader.int("idTokenExpiresIn", in: 1...31_536_000) ?? idTokenExpiresIn
        if let list = reader.value("clients") {
            guard let entries = list.arrayValue else { throw reader.invalid("clients", "must be a list of clients") }
            for (index, entry) in entries.enumerated() {
                do {
                    clients.append(try OAuthClient(configured: entry, hashSecret: hashSecret))
                } catch let problem as ClientMetadataProblem {
                    throw reader.invalid("clients[\(index)]", problem.description)
                }
            }
            var seen = Set<String>()
            for (index, client) in clients.enumerated() where !seen.insert(client.clientID).inserted {
                throw reader.invalid("clients[\(index)].client_id", "is declared twice")
            }
        }
    }
}
