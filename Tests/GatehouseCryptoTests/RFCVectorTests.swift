import GatehouseCrypto
import Testing

/// Published vectors for the primitives under Better Auth's formats.
@Suite struct RFCVectorTests {
    /// RFC 7914 §12, third vector: scrypt("password", "NaCl", N=1024, r=8, p=16, dkLen=64).
    @Test func scryptRFC7914() throws {
        let hasher = ScryptPasswordHasher(cost: 1024, blockSize: 8, parallelism: 16, keyLength: 64)
        let key = "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
        #expect(try hasher.verify("password", against: "NaCl:" + key))
        #expect(try !hasher.verify("passwore", against: "NaCl:" + key))
    }

    /// RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?"), as the cookie signature encodes it.
    @Test func hmacSHA256RFC4231() {
        let mac = Hex.decode("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")!
        #expect(CookieSigner(secret: "Jefe").signature(of: "what do ya want for nothing?") == Base64.standard(mac))
    }

    /// RFC 4648 §10 base64 vectors.
    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func base64RFC4648(_ plain: String, _ encoded: String) {
        #expect(Base64.standard(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }
}
