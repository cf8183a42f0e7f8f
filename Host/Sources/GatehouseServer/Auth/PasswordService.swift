import Foundation
import GatehouseCrypto
import Metrics
import NIOConcurrencyHelpers
import NIOPosix

/// Password hashing on its own bounded thread pool, so scrypt never stalls the event loops,
/// with a dummy verification for unknown users so timing does not reveal accounts.
public final class PasswordService: Sendable {
    private let hashing: PasswordHashing
    private let pool: NIOThreadPool
    private let dummyHash: String
    private let duration = Timer(label: "gatehouse_password_hash_duration_seconds")

    public init(algorithm: String, pool: NIOThreadPool) throws {
        hashing = Self.hashing(algorithm)
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

    /// Verifications per second, measured for about `seconds` on `threads` threads at once (one:
    /// one core's share of the sign-in ceiling; `gatehouse password-hash-rate`, scripts/bench.sh).
    public static func verificationsPerSecond(algorithm: String, seconds: Double, threads: Int = 1) throws -> Double {
        let hashing = hashing(algorithm)
        let stored = try hashing.hash("a password to measure with")
        let verified = NIOLockedValueBox(0)
        let start = DispatchTime.now().uptimeNanoseconds
        @Sendable func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        let group = DispatchGroup()
        for _ in 0..<threads {
            // A thread each, all at once (a dispatch queue would run no more of them than cores).
            group.enter()
            Thread {
                var count = 0
                repeat {
                    if (try? hashing.verify("a password to measure with", against: stored)) == true { count += 1 }
                } while elapsed() < seconds
                verified.withLockedValue { $0 += count }
                group.leave()
            }.start()
        }
        group.wait()
        return Double(verified.withLockedValue { $0 }) / elapsed()
    }

    private static func hashing(_ algorithm: String) -> PasswordHashing {
        let scrypt = ScryptPasswordHasher()
        let argon = Argon2idPasswordHasher()
        return algorithm == "argon2id"
            ? PasswordHashing(primary: argon, others: [scrypt])
            : PasswordHashing(primary: scrypt, others: [argon])
    }

    private func timed<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { duration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) }
        return try await pool.runIfActive {
            Self.yieldToRequests()
            return try work()
        }
    }

    /// Lowers the calling hash thread's priority (nice 5; on Linux the nice value is per thread),
    /// so while sign-ins saturate the cores the event loops get the CPU first (about three parts
    /// in four when both want it) and session checks stay fast. Not lower: a flood of cheap
    /// requests must not shut sign-ins out. Idempotent.
    private static func yieldToRequests() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 5)
        #endif
    }
}
