import GatehouseCrypto
import Testing

@Suite struct SymmetricEncryptionTests {
    let box = SymmetricEncryption(secret: "better-auth-secret-12345678901234567890")

    @Test func roundTripAndTamperDetection() {
        let sealed = box.encrypt(Array("JBSWY3DPEHPK3PXP".utf8))
        #expect(sealed.count == (24 + 16 + 16) * 2)
        #expect(box.decrypt(sealed) == Array("JBSWY3DPEHPK3PXP".utf8))
        #expect(box.decrypt("$ba$1$" + sealed) == Array("JBSWY3DPEHPK3PXP".utf8))
        var tampered = Array(sealed.utf8)
        tampered[60] = tampered[60] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        #expect(box.decrypt(String(decoding: tampered, as: UTF8.self)) == nil)
        #expect(SymmetricEncryption(secret: "another-secret-another-secret-another").decrypt(sealed) == nil)
        #expect(box.decrypt("zz") == nil)
    }

    /// Made with PyNaCl the way Better Auth's symmetricEncrypt does it:
    /// key = sha256(secret); nonce = 24 bytes; hex(nonce + crypto_aead_xchacha20poly1305_ietf_encrypt(msg, None, nonce, key)).
    @Test func decryptsAValueEncryptedTheBetterAuthWay() {
        let sealed = "000102030405060708090a0b0c0d0e0f10111213141516170b2abfc4fab4f6c27387022e423d50b3df22f555eaecdbf6d078efc8662a4d51"
        #expect(box.decrypt(sealed) == Array("JBSWY3DPEHPK3PXP".utf8))
    }
}
