import Crypto
import CryptoExtras
import Foundation

/// Better Auth's default hash: scrypt N=16384 r=16 p=1 dkLen=64 over the NFKC form of
/// the password, salted with the ASCII bytes of a 32-character hex string, stored `salt:key`.
public struct ScryptPasswordHasher: PasswordHasher {
    public let cost: Int
    public let blockSize: Int
    public let parallelism: Int
    public let keyLength: Int

    public init(cost: Int = 16384, blockSize: Int = 16, parallelism: Int = 1, keyLength: Int = 64) {
        self.cost = cost
        self.blockSize = blockSize
        self.parallelism = parallelism
        self.keyLength = keyLength
    }

    public func hash(_ password: String) throws -> String {
        let salt = Hex.encode(RandomIdentifier.bytes(16))
        return salt + ":" + Hex.encode(try derive(password, salt: salt))
    }

    public func recognizes(_ hash: String) -> Bool {
        let parts = hash.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 2 && Hex.decode(String(parts[1])) != nil && !parts[0].isEmpty
    }

    public func verify(_ password: String, against hash: String) throws -> Bool {
        let parts = hash.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let expected = Hex.decode(String(parts[1])), !expected.isEmpty else {
            throw PasswordHashError.malformedHash
        }
        let derived = try derive(password, salt: String(parts[0]), length: expected.count)
        return ConstantTime.equals(derived, expected)
    }

    private func derive(_ password: String, salt: String, length: Int? = nil) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.precomposedStringWithCompatibilityMapping.utf8),
            salt: Array(salt.utf8),
            outputByteCount: length ?? keyLength,
            rounds: cost,
            blockSize: blockSize,
            parallelism: parallelism
        )
        return key.withUnsafeBytes { Array($0) }
    }
}
