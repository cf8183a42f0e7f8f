import CSodium
import Foundation

/// Argon2id in the PHC string format (`$argon2id$v=19$m=…,t=…,p=1$salt$hash`), via libsodium.
public struct Argon2idPasswordHasher: PasswordHasher {
    public let opsLimit: Int
    public let memoryLimit: Int

    /// Defaults follow OWASP's argon2id guidance: 19 MiB, 2 passes.
    public init(opsLimit: Int = 2, memoryLimit: Int = 19 * 1024 * 1024) {
        _ = Sodium.ready
        self.opsLimit = opsLimit
        self.memoryLimit = memoryLimit
    }

    public func hash(_ password: String) throws -> String {
        // utf8CString ends in NUL, so the buffer is never empty even for an empty password.
        let input = password.precomposedStringWithCompatibilityMapping.utf8CString
        var out = [CChar](repeating: 0, count: Int(crypto_pwhash_STRBYTES))
        let status = input.withUnsafeBufferPointer { pw in
            crypto_pwhash_str_alg(&out, pw.baseAddress!, UInt64(pw.count - 1), UInt64(opsLimit), memoryLimit,
                                  crypto_pwhash_ALG_ARGON2ID13)
        }
        guard status == 0 else { throw PasswordHashError.unsupported("argon2id hashing failed (out of memory?)") }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func recognizes(_ hash: String) -> Bool { hash.hasPrefix("$argon2id$") }

    public func verify(_ password: String, against hash: String) throws -> Bool {
        let input = password.precomposedStringWithCompatibilityMapping.utf8CString
        return input.withUnsafeBufferPointer { pw in
            crypto_pwhash_str_verify(hash, pw.baseAddress!, UInt64(pw.count - 1)) == 0
        }
    }
}

/// libsodium must be initialised once before use; `sodium_init` is idempotent and thread-safe.
enum Sodium {
    static let ready: Bool = sodium_init() >= 0
}
