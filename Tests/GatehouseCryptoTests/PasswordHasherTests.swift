import GatehouseCrypto
import Testing

@Suite struct PasswordHasherTests {
    @Test func scryptVerifiesTheBetterAuthVector() throws {
        let stored = "0123456789abcdef0123456789abcdef:e8b256b6f9f4b1641136a66d4a26ba41a47b6c8c9bad6aa4145559ffda45ece1f0f16dec8482a3e5545feada0ba62f2b05eeb943b750c9396874e1762c78d27d"
        let hasher = ScryptPasswordHasher()
        #expect(try hasher.verify("password123", against: stored))
        #expect(try !hasher.verify("password124", against: stored))
    }

    @Test func scryptHashHasBetterAuthShape() throws {
        let hash = try ScryptPasswordHasher().hash("correct horse")
        let parts = hash.split(separator: ":")
        #expect(parts.count == 2 && parts[0].count == 32 && parts[1].count == 128)
        #expect(try ScryptPasswordHasher().verify("correct horse", against: hash))
    }

    @Test func passwordsAreNFKCNormalised() throws {
        // U+FB01 (ﬁ ligature) is NFKC-equivalent to "fi".
        let hash = try ScryptPasswordHasher().hash("\u{FB01}ne-password")
        #expect(try ScryptPasswordHasher().verify("fine-password", against: hash))
    }

    @Test func argon2idRoundTripAndPHCFormat() throws {
        let hasher = Argon2idPasswordHasher(opsLimit: 1, memoryLimit: 8 * 1024 * 1024)
        let hash = try hasher.hash("s3cret pass")
        #expect(hash.hasPrefix("$argon2id$v=19$"))
        #expect(try hasher.verify("s3cret pass", against: hash))
        #expect(try !hasher.verify("s3cret pasS", against: hash))
    }

    @Test func switchingToArgon2KeepsScryptHashesWorking() throws {
        let scryptHash = try ScryptPasswordHasher().hash("legacy-password")
        let hashing = PasswordHashing(primary: Argon2idPasswordHasher(opsLimit: 1, memoryLimit: 8 * 1024 * 1024),
                                      others: [ScryptPasswordHasher()])
        #expect(try hashing.verify("legacy-password", against: scryptHash))
        #expect(try hashing.hash("new").hasPrefix("$argon2id$"))
        #expect(throws: PasswordHashError.malformedHash) { try hashing.verify("x", against: "not a hash") }
    }
}
