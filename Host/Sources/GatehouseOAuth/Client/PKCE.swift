import Crypto
import GatehouseCrypto

/// Proof Key for Code Exchange (RFC 7636) with the S256 method.
public enum PKCE {
    /// Better Auth's verifier: 128 characters of `[A-Za-z0-9-_]` (RFC 7636 allows 43–128).
    public static func makeVerifier() -> String {
        RandomIdentifier.string(length: 128, alphabet: RandomIdentifier.urlSafe)
    }

    /// `base64url(SHA-256(verifier))` without padding.
    public static func challenge(for verifier: String) -> String {
        Base64.url(SHA256.hash(data: Array(verifier.utf8)))
    }

    /// RFC 7636 §4.1 and §4.2: a verifier or challenge is 43–128 characters of `[A-Za-z0-9-._~]`.
    public static func isWellFormed(_ text: String) -> Bool {
        (43...128).contains(text.utf8.count) && text.utf8.allSatisfy { unreserved.contains($0) }
    }

    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
}
