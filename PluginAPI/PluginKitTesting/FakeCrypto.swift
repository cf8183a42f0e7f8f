import Crypto
import Foundation
import GatehouseHostABI
import GatehousePluginABI

/// The host's cryptography under the fake host's secret, as Better Auth does it: signed values,
/// `symmetricEncrypt` (XChaCha20-Poly1305, key SHA-256(secret), hex(nonce ‖ ciphertext ‖ tag)),
/// HMACs. Only password hashes differ (see `hashPassword`).
struct FakeCrypto: Sendable {
    let secret: String

    static func random(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Better Auth's `generateId`: 32 letters and digits.
    static func identifier() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// HMAC of `data`; an empty key means the secret.
    func hmac(_ algorithm: gh_hash_alg, key: [UInt8], _ data: [UInt8]) -> [UInt8]? {
        HashAlgorithm.hmac(algorithm, key: key.isEmpty ? Array(secret.utf8) : key, data)
    }

    /// `value.base64(HMAC-SHA256(secret, value))`, not URL-encoded.
    func sign(_ value: String) -> String {
        value + "." + Data(hmac(GH_HASH_SHA256, key: [], Array(value.utf8))!).base64EncodedString()
    }

    /// The value of a genuine signed value, raw or URL-encoded (a cookie value as sent).
    func verify(_ signed: String) -> String? {
        let text = signed.contains("%") ? signed.removingPercentEncoding ?? signed : signed
        guard let dot = text.lastIndex(of: ".") else { return nil }
        let value = String(text[..<dot])
        let expected = Array(sign(value).utf8)
        let given = Array(text.utf8)
        guard given.count == expected.count else { return nil }
        return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0 ? value : nil
    }

    func encrypt(_ plaintext: [UInt8]) -> String {
        let nonce = Self.random(24)
        let (key, innerNonce) = subkey(nonce)
        let sealed = try! ChaChaPoly.seal(plaintext, using: key, nonce: innerNonce)
        return Self.hex(nonce + Array(sealed.ciphertext) + Array(sealed.tag))
    }

    /// The plaintext, or nil for anything that is not hex or does not authenticate; also accepts
    /// Better Auth's versioned `$ba$<version>$<hex>`.
    func decrypt(_ text: String) -> [UInt8]? {
        var hex = Substring(text)
        if hex.hasPrefix("$ba$"), let last = hex.lastIndex(of: "$") { hex = hex[hex.index(after: last)...] }
        guard hex.count % 2 == 0, hex.count >= 2 * (24 + 16) else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        let (key, innerNonce) = subkey(Array(bytes.prefix(24)))
        guard let box = try? ChaChaPoly.SealedBox(nonce: innerNonce, ciphertext: bytes[24..<(bytes.count - 16)], tag: bytes.suffix(16)) else { return nil }
        return (try? ChaChaPoly.open(box, using: key)).map(Array.init)
    }

    /// XChaCha20 on top of the IETF ChaCha20-Poly1305: the key HChaCha20(key, nonce[0..<16]) and
    /// the nonce 0⁴ ‖ nonce[16..<24] (draft-irtf-cfrg-xchacha §2.3).
    private func subkey(_ nonce: [UInt8]) -> (SymmetricKey, ChaChaPoly.Nonce) {
        let key = Array(SHA256.hash(data: Array(secret.utf8)))
        return (SymmetricKey(data: Self.hchacha20(key: key, input: Array(nonce.prefix(16)))),
                try! ChaChaPoly.Nonce(data: [0, 0, 0, 0] + nonce.suffix(8)))
    }

    static func hchacha20(key: [UInt8], input: [UInt8]) -> [UInt8] {
        func words(_ bytes: [UInt8]) -> [UInt32] {
            stride(from: 0, to: bytes.count, by: 4).map { i in (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[i + $1]) << (8 * UInt32($1)) } }
        }
        var s: [UInt32] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574] + words(key) + words(input)
        func quarter(_ a: Int, _ b: Int, _ c: Int, _ d: Int) {
            s[a] &+= s[b]; s[d] ^= s[a]; s[d] = s[d] << 16 | s[d] >> 16
            s[c] &+= s[d]; s[b] ^= s[c]; s[b] = s[b] << 12 | s[b] >> 20
            s[a] &+= s[b]; s[d] ^= s[a]; s[d] = s[d] << 8 | s[d] >> 24
            s[c] &+= s[d]; s[b] ^= s[c]; s[b] = s[b] << 7 | s[b] >> 25
        }
        for _ in 0..<10 {
            quarter(0, 4, 8, 12); quarter(1, 5, 9, 13); quarter(2, 6, 10, 14); quarter(3, 7, 11, 15)
            quarter(0, 5, 10, 15); quarter(1, 6, 11, 12); quarter(2, 7, 8, 13); quarter(3, 4, 9, 14)
        }
        return (Array(s[0..<4]) + Array(s[12..<16])).flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * UInt32($0))) } }
    }

    /// Not the server's scrypt (that would make every test slow): `fake:<salt>:<hex SHA-256(salt ‖ password)>`.
    /// Hashes made here verify here; a real server's hash does not.
    func hashPassword(_ password: String) -> String {
        let salt = Self.hex(Self.random(16))
        return "fake:\(salt):" + Self.hex(SHA256.hash(data: Array((salt + password.precomposedStringWithCompatibilityMapping).utf8)))
    }

    func verifyPassword(_ password: String, hash: String) -> Bool {
        let parts = hash.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "fake" else { return false }
        return Self.hex(SHA256.hash(data: Array((parts[1] + password.precomposedStringWithCompatibilityMapping).utf8))) == parts[2]
    }

    private static func hex(_ digest: some Sequence<UInt8>) -> String { digest.map { String(format: "%02x", $0) }.joined() }
}
