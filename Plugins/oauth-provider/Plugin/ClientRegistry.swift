import Foundation
import GatehouseJSON
import PluginKit

/// Finds clients (configuration first, then the `oauthClient` table) and authenticates them at
/// the token, introspection and revocation endpoints (RFC 6749 §2.3).
struct ClientRegistry: Sendable {
    let host: PluginHost
    let configured: [String: OAuthClient]

    init(host: PluginHost, configured: [OAuthClient]) {
        self.host = host
        self.configured = Dictionary(uniqueKeysWithValues: configured.map { ($0.clientID, $0) })
    }

    var database: PluginDatabase { PluginDatabase(host: host) }

    /// The enabled client with this id, or nil.
    func client(_ id: String) throws -> OAuthClient? {
        if let client = configured[id] { return client }
        let row = try database.findOne("oauthClient", [PluginDatabase.equals("clientId", .string(id))])
        return row.flatMap(OAuthClient.init(row:)).flatMap { $0.disabled ? nil : $0 }
    }

    /// The client a token request speaks for: HTTP Basic (`client_id:client_secret`, each
    /// form-encoded), or `client_id` + `client_secret` in the body, or `client_id` alone for a
    /// public client. A body `client_id` beside Basic must name the same client.
    func authenticate(_ call: PluginCall, form: [String: String]) throws -> OAuthClient {
        var basic = false
        var id = form["client_id"]
        var secret = form["client_secret"]
        if let authorization = call.header("authorization"), authorization.lowercased().hasPrefix("basic ") {
            basic = true
            guard let decoded = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                  let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
            else { throw OAuthFailure.invalidClient("malformed Basic credentials", basic: true) }
            let basicID = URLText.formDecode(text[..<colon])
            guard id == nil || id == basicID, secret == nil else {
                throw OAuthFailure.invalidClient("use one client authentication method", basic: true)
            }
            id = basicID
            secret = URLText.formDecode(text[text.index(after: colon)...])
        }
        guard let id, !id.isEmpty else { throw OAuthFailure.invalidClient("client authentication is required", basic: basic) }
        // The same refusal for unknown clients and wrong secrets.
        let refusal = OAuthFailure.invalidClient("client authentication failed", basic: basic)
        guard let client = try client(id) else { throw refusal }
        if client.isPublic {
            guard secret == nil, !basic else { throw refusal }
            return client
        }
        guard let secret, let stored = client.secretHash, ConstantTime.equal(try host.hashedKey(secret), stored) else { throw refusal }
        return client
    }
}
