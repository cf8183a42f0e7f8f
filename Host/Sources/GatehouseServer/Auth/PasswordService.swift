import Foundation
import GatehouseCrypto
import Metrics
import NIOPosix

/// Password hashing on its own bounded thread pool, so scrypt never stalls the event loops,
/// with a dummy verification for unknown users so timing does not reveal accounts.
public final class PasswordService: Sendable {
    private let hashing: PasswordHashing
    private let pool: NIOThreadPool
    private let dummyHash: String
    private let duration = Timer(label: "gatehouse_password_hash_duration_seconds")

    public init(algorithm: String, pool: NIOThreadPool) throws {
        let scrypt = ScryptPasswordHasher()
        let argon = Argon2idPasswordHasher()
        hashing = algorithm == "argon2id"
            ? PasswordHashing(primary: argon, others: [scrypt])
            : PasswordHashing(primary: scrypt, others: [argon])
        self.pool = pool
        dummyHash = try hashing.hash(RandomIdentifier.generate())
    }

    public func hash(_ password: String) async throws -> String {
        try await timed { try self.hashing.hash(password) }
    }

    /// Whether `password` matches `hash`; a malformed stored hash counts as a mismatch.
    public func verify(_ password: String, against hash: String) async -> Bool {
        (try? await timed { try self.hashing.verify(password, against: hash) }) ?? false
    }

    /// Spends the same time as a real verification, for unknown users.
    public func verifyDummy(_ password: String) async {
        _ = await verify(password, against: dummyHash)
    }

    private func timed<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { duration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) }
        return try await pool.runIfActive(work)
    }
}
