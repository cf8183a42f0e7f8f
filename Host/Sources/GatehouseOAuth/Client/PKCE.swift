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
}
