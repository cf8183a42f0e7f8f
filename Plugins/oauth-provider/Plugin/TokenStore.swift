import Foundation
import GatehouseJSON
import OrderedCollections
import PluginKit

/// Opaque access and refresh tokens, stored hashed (base64url SHA-256, Better Auth's
/// `storeTokens: "hashed"`) in `oauthAccessToken` and `oauthRefreshToken`. Every token issued
/// from one authorization code shares its `authorizationCodeId`, the grant's family: a replayed
/// code or a reused rotated refresh token revokes the whole family (RFC 9700 §2.2.2, §4.14).
struct TokenStore: Sendable {
    struct Issued {
        let accessToken: String
        let refreshToken: String?
    }

    /// Who a token speaks for and what it may do.
    struct Subject {
        var clientID: String
        var userID: String?
        var sessionID: String?
        var scopes: [String]
        /// The authorization code's id; nil for client credentials.
        var family: String?
        var authTime: Date?
    }

    let host: PluginHost
    let accessLifetime: Int
    let refreshLifetime: Int

    private var database: PluginDatabase { PluginDatabase(host: host) }

    /// An access token for `accessScopes` (a refresh may narrow them) and, if asked, a refresh
    /// token for the whole grant.
    func issue(_ subject: Subject, accessScopes: [String], withRefreshToken: Bool) throws -> Issued {
        let now = Date()
        var refreshToken: String?
        var refreshID: String?
        if withRefreshToken {
            let token = host.randomToken()
            var data = try rowData(subject, token: token, now: now, lifetime: refreshLifetime)
            if let authTime = subject.authTime { data["authTime"] = .string(ISODate.format(authTime)) }
            refreshID = try database.create("oauthRefreshToken", .object(data))["id"]?.stringValue
            refreshToken = token
        }
        let accessToken = host.randomToken()
        var accessSubject = subject
        accessSubject.scopes = accessScopes
        var data = try rowData(accessSubject, token: accessToken, now: now, lifetime: accessLifetime)
        if let refreshID { data["refreshId"] = .string(refreshID) }
        try database.create("oauthAccessToken", .object(data))
        return Issued(accessToken: accessToken, refreshToken: refreshToken)
    }

    /// The row of a live (unrevoked, unexpired) access token.
    func liveAccessToken(_ token: String) throws -> JSONValue? {
        try row("oauthAccessToken", token).flatMap { Self.isLive($0) ? $0 : nil }
    }

    /// The row of a refresh token, live or not (reuse of a rotated one must be recognized).
    func refreshToken(_ token: String) throws -> JSONValue? { try row("oauthRefreshToken", token) }

    func row(_ table: String, _ token: String) throws -> JSONValue? {
        try database.findOne(table, [PluginDatabase.equals("token", .string(try host.hashedKey(token)))])
    }

    /// Marks a refresh token used by rotation; false when another request rotated or revoked it first.
    func rotate(_ row: JSONValue) throws -> Bool {
        guard let id = row["id"] else { return false }
        let now = JSONValue.string(ISODate.format(Date()))
        return try database.update("oauthRefreshToken", [PluginDatabase.equals("id", id), ("revoked", "=", .null)],
                                   ["revoked": now, "rotatedAt": now]) == 1
    }

    /// Revokes every token issued from one authorization code. The mark, set first, catches a
    /// request that is issuing into the family at this moment (`isRevokedFamily` after it issued).
    func revokeFamily(_ family: String) throws {
        host.kvSet(Self.revokedFamilyKey(family), "1", ttlSeconds: Int64(refreshLifetime))
        for table in ["oauthRefreshToken", "oauthAccessToken"] {
            try revoke(table, [PluginDatabase.equals("authorizationCodeId", .string(family))])
        }
    }

    func isRevokedFamily(_ family: String) -> Bool { host.kvGet(Self.revokedFamilyKey(family)) != nil }

    /// Revokes what a session's logout ends (OpenID RP-Initiated Logout, as Better Auth does): its
    /// access tokens, and its refresh tokens except those granted `offline_access`.
    func revokeSessionTokens(_ sessionID: String) throws {
        let session = PluginDatabase.equals("sessionId", .string(sessionID))
        try revoke("oauthAccessToken", [session])
        for row in try database.findMany("oauthRefreshToken", [session, ("revoked", "=", .null)])
        where !Self.scopes(of: row).contains("offline_access") {
            try revokeRefreshToken(row)
        }
    }

    /// Revokes a refresh token and the access tokens issued with it.
    func revokeRefreshToken(_ row: JSONValue) throws {
        guard let id = row["id"] else { return }
        try revoke("oauthRefreshToken", [PluginDatabase.equals("id", id)])
        try revoke("oauthAccessToken", [PluginDatabase.equals("refreshId", id)])
    }

    func revokeAccessToken(_ row: JSONValue) throws {
        guard let id = row["id"] else { return }
        try revoke("oauthAccessToken", [PluginDatabase.equals("id", id)])
    }

    static func isLive(_ row: JSONValue) -> Bool {
        row["revoked"]?.nonNull == nil && (ISODate.parse(row["expiresAt"]).map { $0 > Date() } ?? false)
    }

    static func scopes(of row: JSONValue) -> [String] { StoredList.strings(row["scopes"]) }

    private static func revokedFamilyKey(_ family: String) -> String { "revoked-family:" + family }

    private func revoke(_ table: String, _ conditions: [PluginDatabase.Condition]) throws {
        try database.update(table, conditions + [("revoked", "=", .null)], ["revoked": .string(ISODate.format(Date()))])
    }

    private func rowData(_ subject: Subject, token: String, now: Date, lifetime: Int) throws -> OrderedDictionary<String, JSONValue> {
        var data: OrderedDictionary<String, JSONValue> = [
            "token": .string(try host.hashedKey(token)), "clientId": .string(subject.clientID),
            "scopes": .array(subject.scopes.map(JSONValue.string)),
            "createdAt": .string(ISODate.format(now)), "expiresAt": .string(ISODate.format(now.addingTimeInterval(TimeInterval(lifetime)))),
        ]
        if let userID = subject.userID { data["userId"] = .string(userID) }
        if let sessionID = subject.sessionID { data["sessionId"] = .string(sessionID) }
        if let family = subject.family { data["authorizationCodeId"] = .string(family) }
        return data
    }
}
