import Foundation
import GatehouseCrypto
import GatehouseOAuth
import GatehouseStorage

/// OAuth tokens on `account` rows: encrypted at rest with Better Auth's `symmetricEncrypt`
/// when `account.encryptOAuthTokens` is on, stored as given otherwise.
struct AccountTokens {
    let auth: AuthContext

    private var encryption: SymmetricEncryption? {
        auth.config.account.encryptOAuthTokens ? SymmetricEncryption(secret: auth.secret) : nil
    }

    /// The row fields for `tokens`; members the provider did not send are left out, so an
    /// update keeps what is stored. `scope` is written only when `includeScope`.
    func fields(_ tokens: OAuthTokens, includeScope: Bool) -> Record {
        var record = Record()
        if let access = tokens.accessToken { record["accessToken"] = .string(seal(access)) }
        if let refresh = tokens.refreshToken { record["refreshToken"] = .string(seal(refresh)) }
        if let id = tokens.idToken { record["idToken"] = .string(id) }
        if let expires = tokens.accessTokenExpiresAt { record["accessTokenExpiresAt"] = .date(expires) }
        if let expires = tokens.refreshTokenExpiresAt { record["refreshTokenExpiresAt"] = .date(expires) }
        if includeScope, !tokens.scopes.isEmpty { record["scope"] = .string(tokens.scopes.joined(separator: ",")) }
        return record
    }

    /// A stored token in the clear. A value that is not our ciphertext is returned as is:
    /// rows written before encryption was turned on stay readable.
    func open(_ stored: String?) -> String? {
        guard let stored, !stored.isEmpty else { return nil }
        guard let encryption, let bytes = encryption.decrypt(stored) else { return stored }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func seal(_ token: String) -> String {
        encryption?.encrypt(Array(token.utf8)) ?? token
    }

    /// The account's tokens, decrypted.
    func tokens(of account: Record) -> OAuthTokens {
        OAuthTokens(accessToken: open(account.string("accessToken")), refreshToken: open(account.string("refreshToken")),
                    idToken: account.string("idToken"), accessTokenExpiresAt: account.date("accessTokenExpiresAt"),
                    refreshTokenExpiresAt: account.date("refreshTokenExpiresAt"),
                    scopes: (account.string("scope") ?? "").split(separator: ",").map(String.init))
    }
}
