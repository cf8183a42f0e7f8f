import CSodium
import Crypto

/// Better Auth's `symmetricEncrypt`: XChaCha20-Poly1305 with key SHA-256(secret), written as
/// hex(nonce(24) ‖ ciphertext ‖ tag). Decryption also accepts the versioned `$ba$<v>$<hex>` form.
public struct SymmetricEncryption: Sendable {
    private let key: [UInt8]

    public init(secret: String) {
        _ = Sodium.ready
        key = Array(SHA256.hash(data: Array(secret.utf8)))
    }

    public func encrypt(_ plaintext: [UInt8]) -> String {
        let nonce = RandomIdentifier.bytes(Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES))
        var sealed = [UInt8](repeating: 0, count: plaintext.count + Int(crypto_aead_xchacha20poly1305_ietf_ABYTES))
        var sealedLength: UInt64 = 0
        _ = crypto_aead_xchacha20poly1305_ietf_encrypt(&sealed, &sealedLength, plaintext, UInt64(plaintext.count), nil, 0, nil, nonce, key)
        return Hex.encode(nonce + sealed.prefix(Int(sealedLength)))
    }

    /// The plaintext, or nil when the text is not hex or does not authenticate under this secret.
    public func decrypt(_ text: String) -> [UInt8]? {
        var hex = Substring(text)
        if hex.hasPrefix("$ba$"), let last = hex.lastIndex(of: "$") { hex = hex[hex.index(after: last)...] }
        let nonceLength = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
        let tagLength = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)
        guard let bytes = Hex.decode(String(hex)), bytes.count >= nonceLength + tagLength else { return nil }
        let nonce = Array(bytes.prefix(nonceLength))
        let sealed = Array(bytes.dropFirst(nonceLength))
        var plaintext = [UInt8](repeating: 0, count: sealed.count - tagLength)
        var plaintextLength: UInt64 = 0
        let status = crypto_aead_xchacha20poly1305_ietf_decrypt(&plaintext, &plaintextLength, nil, sealed, UInt64(sealed.count), nil, 0, nonce, key)
        return status == 0 ? Array(plaintext.prefix(Int(plaintextLength))) : nil
    }
}
