import Foundation
import GatehouseJSON

/// A token endpoint's answer (RFC 6749 §5.1), with lifetimes turned into dates.
public struct OAuthTokens: Sendable {
    public var accessToken: String?
    public var refreshToken: String?
    public var idToken: String?
    public var tokenType: String?
    public var accessTokenExpiresAt: Date?
    public var refreshTokenExpiresAt: Date?
    public var scopes: [String]

    public init(accessToken: String? = nil, refreshToken: String? = nil, idToken: String? = nil, tokenType: String? = nil,
                accessTokenExpiresAt: Date? = nil, refreshTokenExpiresAt: Date? = nil, scopes: [String] = []) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.idToken = idToken
        self.tokenType = tokenType
        self.accessTokenExpiresAt = accessTokenExpiresAt
        self.refreshTokenExpiresAt = refreshTokenExpiresAt
        self.scopes = scopes
    }

    /// Reads a successful token response; `scope` may be space- or comma-separated.
    init(response body: JSONValue, now: Date = Date()) {
        func seconds(_ key: String) -> Date? {
            let value = body[key]?.doubleValue ?? body[key]?.stringValue.flatMap(Double.init)
            return value.map { now.addingTimeInterval($0) }
        }
        accessToken = body["access_token"]?.stringValue
        refreshToken = body["refresh_token"]?.stringValue
        idToken = body["id_token"]?.stringValue
        tokenType = body["token_type"]?.stringValue
        accessTokenExpiresAt = seconds("expires_in")
        refreshTokenExpiresAt = seconds("refresh_token_expires_in")
        scopes = (body["scope"]?.stringValue ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
    }
}
